namespace LayerLock.Actors.Configuration;

/// <summary>
/// Applies the members of a parsed document in order: later keys override earlier ones, objects
/// under the same key merge, and values that need substitutions become <see cref="HoconPending"/>
/// holding the value they replaced.
/// </summary>
internal static class HoconTreeBuilder
{
    public static HoconObject Build(HoconObjectLiteral document)
    {
        var root = new HoconObject(document.Position);
        Apply(root, document.Members, [], []);
        return root;
    }

    private static void Apply(HoconObject target, IReadOnlyList<HoconMember> members, string[] targetPath, string[] includePrefix)
    {
        foreach (var member in members)
        {
            switch (member)
            {
                case HoconInclude include:
                    // Substitutions in an included file are relative to where it was included.
                    Apply(target, include.Members, targetPath, targetPath);
                    break;
                case HoconField field:
                    Set(target, field.Key.Segments, 0, field.Value, targetPath, includePrefix);
                    break;
            }
        }
    }

    private static void Set(HoconObject target, string[] key, int index, HoconValue value, string[] targetPath, string[] includePrefix)
    {
        var name = key[index];
        string[] path = [.. targetPath, name];
        if (index == key.Length - 1)
        {
            SetValue(target, name, value, path, includePrefix);
            return;
        }

        // a.b.c = 1 is a { b { c = 1 } }: descend into (or create) the object at a.
        var child = ObjectToMergeInto(target, name, value.Position);
        Set(child, key, index + 1, value, path, includePrefix);
    }

    private static void SetValue(HoconObject target, string name, HoconValue value, string[] path, string[] includePrefix)
    {
        if (value is HoconObjectLiteral literal)
        {
            Apply(ObjectToMergeInto(target, name, literal.Position), literal.Members, path, includePrefix);
            return;
        }

        target.Fields.TryGetValue(name, out var previous);
        target.Fields[name] = BuildValue(value, path, includePrefix, previous);
    }

    /// <summary>The object that fields written under <paramref name="name"/> merge into, created when needed.</summary>
    private static HoconObject ObjectToMergeInto(HoconObject target, string name, HoconPosition position)
    {
        target.Fields.TryGetValue(name, out var existing);
        switch (existing)
        {
            case HoconObject existingObject:
                return existingObject;
            case HoconPending { Expression: HoconDeferredMerge merge }:
                return merge.Later;
            case HoconPending pending:
                var later = new HoconObject(position);
                target.Fields[name] = new HoconPending(new HoconDeferredMerge(pending, later), null, pending.OwnPath, pending.IncludePrefix);
                return later;
            default:
                // Absent, or a scalar or array: an object replaces it.
                var created = new HoconObject(position);
                target.Fields[name] = created;
                return created;
        }
    }

    private static HoconValue BuildValue(HoconValue value, string[] path, string[] includePrefix, HoconValue? previous)
    {
        switch (value)
        {
            case HoconObjectLiteral literal:
                var built = new HoconObject(literal.Position);
                Apply(built, literal.Members, path, includePrefix);
                return built;
            case HoconArray array:
                return new HoconArray(
                    [.. array.Items.Select((item, i) => BuildValue(item, [.. path, i.ToString(System.Globalization.CultureInfo.InvariantCulture)], includePrefix, null))],
                    array.Position);
            case HoconSubstitution:
                return new HoconPending(value, previous, path, includePrefix);
            case HoconConcatenation concatenation:
                var parts = concatenation.Parts
                    .Select(part => part is HoconSubstitution ? part : BuildValue(part, path, includePrefix, null))
                    .ToList();
                return new HoconPending(new HoconConcatenation(parts, concatenation.Position), previous, path, includePrefix);
            default:
                return value;
        }
    }
}
