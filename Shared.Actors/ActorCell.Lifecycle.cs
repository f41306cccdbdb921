namespace LayerLock.Actors;

/// <summary>Stopping and DeathWatch.</summary>
internal sealed partial class ActorCell
{
    private CellState _state;
    private string _stopReason = "stopped";
    private ActorRefSet _watchers;

    private async Task ProcessSystemMessagesAsync()
    {
        while (_state != CellState.Dead && TryDequeueSystemMessage(out var message))
        {
            switch (message)
            {
                case StopRequest:
                    await BeginStopAsync("stopped").ConfigureAwait(false);
                    break;
                case WatchRequest watch when !ReferenceEquals(watch.Watcher, Self):
                    _watchers.Add(watch.Watcher);
                    break;
                case UnwatchRequest unwatch:
                    _watchers.Remove(unwatch.Watcher);
                    break;
                case DeathWatchNotification notification:
                    await OnDeathWatchNotificationAsync(notification).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task OnDeathWatchNotificationAsync(DeathWatchNotification notification)
    {
        bool wasWatched;
        int childrenLeft;
        lock (_sync)
        {
            var path = notification.Actor.Path;
            if (_children is not null && _children.TryGetValue(path, out var child) && ReferenceEquals(child, notification.Actor))
            {
                _children.Remove(path);
            }

            // Removing it here is what makes delivery exactly once, and lets Unwatch drop it.
            wasWatched = _watching.Remove(notification.Actor);
            childrenLeft = _children?.Count ?? 0;
        }

        if (wasWatched && _state == CellState.Running)
        {
            await InvokeAsync(new Terminated(notification.Actor, notification.Reason), notification.Actor).ConfigureAwait(false);
        }

        if (_state == CellState.Stopping && childrenLeft == 0)
        {
            await FinishStopAsync().ConfigureAwait(false);
        }
    }

    private async Task BeginStopAsync(string reason)
    {
        ActorRef[] children;
        lock (_sync)
        {
            if (_state != CellState.Running)
            {
                return;
            }

            // Under the lock, so a concurrent Spawn either lands in this snapshot or is refused.
            _state = CellState.Stopping;
            _stopReason = reason;
            children = _children is null ? [] : [.. _children.Values];
        }

        CancelTimers();
        if (children.Length == 0)
        {
            await FinishStopAsync().ConfigureAwait(false);
            return;
        }

        // Children first: this cell finishes when the last child's notification arrives.
        foreach (var child in children)
        {
            child.SendSystemMessage(StopRequest.Instance);
        }
    }

    private async Task FinishStopAsync()
    {
        if (_parent is not null)
        {
            _message = Stopped.Instance;
            _sender = null;
            try
            {
                await _actor.ReceiveAsync(this).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                System.Log.StoppedHandlerFailed(Path, exception);
            }
            finally
            {
                _message = null;
            }
        }

        ActorRef[] watched;
        lock (_sync)
        {
            _state = CellState.Dead;
            watched = _watching.Drain();
        }

        // Let the actors this one watched forget it, so their watcher sets do not grow.
        foreach (var actor in watched)
        {
            actor.SendSystemMessage(new UnwatchRequest(actor, Self));
        }

        // Closing the mailbox makes every later Post a dead letter and every later
        // PostSystem answer itself; what is already queued is answered here.
        Envelope[] letters;
        SystemMessage[] systemMessages;
        lock (_sync)
        {
            _closed = true;
            letters = _hasNext ? [_next, .. _later ?? []] : [.. _later ?? []];
            _next = default;
            _hasNext = false;
            _later = null;
            systemMessages = _systemMessages is null ? [] : [.. _systemMessages];
            _systemMessages = null;
        }

        foreach (var envelope in letters)
        {
            System.PublishDeadLetter(envelope.Message, envelope.Sender, Self);
        }

        foreach (var message in systemMessages)
        {
            AnswerSystemMessageWhenDead(message);
        }

        var notification = new DeathWatchNotification(Self, _stopReason);
        var parentWatches = _parent is not null && _watchers.Contains(_parent.Self);
        foreach (var watcher in _watchers.Drain())
        {
            watcher.SendSystemMessage(notification);
        }

        // The parent always hears, watching or not, so it can free the child's name.
        if (_parent is not null && !parentWatches)
        {
            _parent.Self.SendSystemMessage(notification);
        }

        _terminated?.TrySetResult();
    }

    private void AnswerSystemMessageWhenDead(SystemMessage message)
    {
        if (message is WatchRequest watch && !ReferenceEquals(watch.Watcher, Self))
        {
            watch.Watcher.SendSystemMessage(new DeathWatchNotification(Self, _stopReason));
        }
    }
}
