namespace LayerLock.Actors.Configuration;

/// <summary>
/// Resolves every substitution against the whole merged document, in place. A path not in the
/// document falls back to the environment variable of the same name; an undefined <c>${?x}</c>
/// leaves the field as it was before (or unset).
/// </summary>
internal sealed class HoconResolver(HoconObject root, Func<string, string?> environment)
{
    private readonly List<(HoconSubstitution Substitution, HoconPending Owner)> _lookups = [];

    public void ResolveAll() => ResolveObject(root);

    private HoconValue? Resolve(HoconValue value) => value switch
    {
        HoconPending pending => ResolvePending(pending),
        HoconObject obj => ResolveObject(obj),
        HoconArray array => ResolveArray(array),
        _ => value,
    };

    private HoconObject ResolveObject(HoconObject obj)
    {
        if (obj.IsResolved)
        {
            return obj;
        }

        foreach (var key in obj.Fields.Keys.ToList())
        {
            if (!obj.Fields.TryGetValue(key, out var value))
            {
                continue;
            }

            var resolved = Resolve(value);
            if (resolved is null)
            {
                obj.Fields.Remove(key);
            }
            else
            {
                obj.Fields[key] = resolved;
            }
        }

        obj.IsResolved = true;
        return obj;
    }

    private HoconArray ResolveArray(HoconArray array)
    {
        var items = array.Items.Select(Resolve).OfType<HoconValue>().ToList();
        return new HoconArray(items, array.Position);
    }

    private HoconValue? ResolvePending(HoconPending pending)
    {
        switch (pending.State)
        {
            case HoconPendingState.Resolved:
                return pending.Result;
            case HoconPendingState.Resolving:
                throw Cycle(pending);
        }

        pending.State = HoconPendingState.Resolving;
        pending.LookupDepth = _lookups.Count;
        var result = Evaluate(pending);
        if (result is null && pending.Previous is not null)
        {
            result = Resolve(pending.Previous);
        }

        pending.State = HoconPendingState.Resolved;
        pending.Result = result;
        return result;
    }

    private HoconValue? Evaluate(HoconPending pending) => pending.Expression switch
    {
        HoconSubstitution substitution => Lookup(substitution, pending),
        HoconConcatenation concatenation => Concatenate(concatenation, pending),
        HoconDeferredMerge merge => Resolve(merge.Earlier) is HoconObject earlier
            ? Merge(earlier, ResolveObject(merge.Later))
            : ResolveObject(merge.Later),
        _ => Resolve(pending.Expression),
    };

    private HoconValue? Lookup(HoconSubstitution substitution, HoconPending owner)
    {
        _lookups.Add((substitution, owner));
        try
        {
            var path = substitution.Path.Segments;
            string[][] candidates = owner.IncludePrefix.Length > 0 ? [[.. owner.IncludePrefix, .. path], path] : [path];
            foreach (var candidate in candidates)
            {
                if (candidate.AsSpan().SequenceEqual(owner.OwnPath))
                {
                    // A field that refers to its own path means the value it replaced: path = ${path}":/bin".
                    if (owner.Previous is not null && Resolve(owner.Previous) is { } previous)
                    {
                        return previous;
                    }

                    break;
                }

                if (Find(candidate) is { } found)
                {
                    return found;
                }
            }

            var name = substitution.Path.EnvironmentName;
            if (environment(name) is { } fromEnvironment)
            {
                return new HoconScalar(fromEnvironment, HoconScalarKind.String, substitution.Position);
            }

            if (substitution.Optional)
            {
                return null;
            }

            throw new HoconParseException(
                substitution.Position,
                $"expected setting '{substitution.Path}' or environment variable '{name}' for substitution {substitution} but found neither");
        }
        finally
        {
            _lookups.RemoveAt(_lookups.Count - 1);
        }
    }

    private HoconValue? Find(string[] path)
    {
        HoconValue? current = root;
        foreach (var segment in path)
        {
            if (current is HoconPending pending)
            {
                current = ResolvePending(pending);
            }

            if (current is not HoconObject obj || !obj.Fields.TryGetValue(segment, out current))
            {
                return null;
            }
        }

        return Resolve(current);
    }

    private HoconValue? Concatenate(HoconConcatenation concatenation, HoconPending owner)
    {
        var values = new List<HoconValue>();
        foreach (var part in concatenation.Parts)
        {
            var value = part is HoconSubstitution substitution ? Lookup(substitution, owner) : Resolve(part);
            if (value is not null)
            {
                values.Add(value);
            }
        }

        while (values.Count > 0 && values[0] is HoconScalar { Kind: HoconScalarKind.Whitespace })
        {
            values.RemoveAt(0);
        }

        while (values.Count > 0 && values[^1] is HoconScalar { Kind: HoconScalarKind.Whitespace })
        {
            values.RemoveAt(values.Count - 1);
        }

        var solid = values.Where(v => v is not HoconScalar { Kind: HoconScalarKind.Whitespace }).ToList();
        if (solid.Count == 0)
        {
            return null;
        }

        if (solid.All(v => v is HoconObject))
        {
            return solid.Cast<HoconObject>().Aggregate(Merge);
        }

        if (solid.All(v => v is HoconArray))
        {
            return new HoconArray([.. solid.Cast<HoconArray>().SelectMany(a => a.Items)], concatenation.Position);
        }

        if (solid.All(v => v is HoconScalar))
        {
            var text = string.Concat(values.Cast<HoconScalar>().Select(s => s.Text));
            return new HoconScalar(text, HoconScalarKind.String, concatenation.Position);
        }

        var kinds = string.Join(" and ", solid.Select(KindName).Distinct());
        throw new HoconParseException(
            concatenation.Position,
            $"expected values of one kind (all strings, all objects or all arrays) in a concatenation but found {kinds}");
    }

    /// <summary>A new object with <paramref name="later"/>'s fields over <paramref name="earlier"/>'s; neither is changed.</summary>
    private static HoconObject Merge(HoconObject earlier, HoconObject later)
    {
        var merged = new HoconObject(later.Position) { IsResolved = true };
        foreach (var (key, value) in earlier.Fields)
        {
            merged.Fields[key] = value;
        }

        foreach (var (key, value) in later.Fields)
        {
            merged.Fields[key] = merged.Fields.TryGetValue(key, out var existing) && existing is HoconObject a && value is HoconObject b
                ? Merge(a, b)
                : value;
        }

        return merged;
    }

    private HoconParseException Cycle(HoconPending pending)
    {
        var chain = _lookups.Skip(pending.LookupDepth).Select(l => l.Substitution.Path.ToString()).Prepend(HoconPath.Display(pending.OwnPath));
        var closing = _lookups[^1].Substitution;
        return new HoconParseException(
            closing.Position,
            $"expected substitutions that end in a value but found the cycle {string.Join(" -> ", chain)}");
    }

    private static string KindName(HoconValue value) => value switch
    {
        HoconObject => "an object",
        HoconArray => "an array",
        _ => "a string",
    };
}
