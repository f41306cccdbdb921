using System.Text.Json;
using LayerLock.NodeAgent.Pulls;
using Spectre.Console;

namespace LayerLock.NodeAgent.Cli;

/// <summary>
/// The client verbs — <c>pull</c>, <c>refs</c>, <c>status</c>, <c>rm</c> — talking to a running agent
/// on its control address. Exit 0 on success; otherwise one line saying what failed, exit 1.
/// </summary>
internal static class ClientCommands
{
    public static async Task<int> RunAsync(string verb, string? reference, string agent, CancellationToken interrupted)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{agent}"), Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            return verb switch
            {
                "pull" => await PullAsync(http, reference!, interrupted),
                "rm" => await PrintAsync(await http.PostAsJsonAsync("/v1/rm", new RemoveRequestBody(reference), AgentJsonContext.Default.RemoveRequestBody, interrupted), interrupted),
                "refs" => await PrintAsync(await http.GetAsync("/v1/refs", interrupted), interrupted),
                _ => await PrintAsync(await http.GetAsync("/v1/status", interrupted), interrupted),
            };
        }
        catch (HttpRequestException ended) when (ended.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse)
        {
            // Reached, then gone before the answer began (killed, restarted).
            return AgentGone("before it answered", ended);
        }
        catch (HttpRequestException unreachable)
        {
            Console.Error.WriteLine($"NodeAgent {verb}: cannot reach the agent at {agent}: {unreachable.Message} (is `NodeAgent run` running?)");
            return 1;
        }
        catch (HttpIOException cut)
        {
            // The agent went away mid-answer (killed, restarted): the pull's outcome is unknown here.
            return AgentGone("before it finished answering", cut);
        }
        catch (JsonException garbled)
        {
            Console.Error.WriteLine($"NodeAgent {verb}: the agent at {agent} sent an answer that is not LayerLock's JSON ({garbled.Message}); is {agent} a NodeAgent control address?");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"NodeAgent {verb}: interrupted");
            return 1;
        }

        int AgentGone(string when, Exception error)
        {
            Console.Error.WriteLine($"NodeAgent {verb}: the agent at {agent} closed the connection {when} ({error.Message}); it may have stopped: check `NodeAgent status --agent {agent}` and retry");
            return 1;
        }
    }

    private static async Task<int> PrintAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancel);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine(ErrorOf(body) ?? $"the agent answered {(int)response.StatusCode}");
                return 1;
            }

            using var document = JsonDocument.Parse(body);
            Console.Out.WriteLine(JsonSerializer.Serialize(document.RootElement, IndentedJsonContext.Default.JsonElement));
            return 0;
        }
    }

    private static async Task<int> PullAsync(HttpClient http, string reference, CancellationToken cancel)
    {
        // At once, before the agent has resolved anything: the user sees the command took.
        Console.Out.WriteLine($"pulling {reference} through the agent at {http.BaseAddress?.Authority}");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/pull")
        {
            Content = JsonContent.Create(new PullRequestBody(reference), AgentJsonContext.Default.PullRequestBody),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"pull failed: {ErrorOf(await response.Content.ReadAsStringAsync(cancel)) ?? response.ReasonPhrase}");
            return 1;
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
        var view = Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive ? (IPullView)new PlainPullView() : new LivePullView();
        var progress = new PullProgress(TimeProvider.System);
        PullEvent? last = null;
        await view.RunAsync(progress, async update =>
        {
            while (await reader.ReadLineAsync(cancel) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                last = JsonSerializer.Deserialize(line, AgentJsonContext.Default.PullEvent);
                if (last is not null)
                {
                    update(last);
                }
            }
        });

        switch (last)
        {
            case { Event: "done" }:
                Console.Out.WriteLine($"pulled {last.Reference}: {progress.Summary()}");
                return 0;
            case { Event: "failed" }:
                Console.Error.WriteLine($"pull failed: {last.Error}");
                return 1;
            default:
                Console.Error.WriteLine("pull failed: the agent ended the progress stream early");
                return 1;
        }
    }

    private static string? ErrorOf(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var error) ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
