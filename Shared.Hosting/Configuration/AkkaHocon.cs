using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// Reads HOCON with Akka's own parser (<see cref="ConfigurationFactory.ParseString(string, Func{string, HoconRoot})"/>)
/// and turns every way it can fail into one <see cref="ConfigurationFileException"/> line.
/// </summary>
/// <remarks>
/// Akka's parser reports a position only for an unknown token (a character index, turned here into
/// line and column). For its other errors the line is found by searching the text for what the
/// message names (<c>${path}</c>, <c>include "file"</c>) or by parsing ever longer prefixes of the
/// text until the same error appears. What it accepts silently or never returns from is refused
/// beforehand by <see cref="StructureCheck"/>; a parse that still runs past <see cref="ParseTimeout"/>
/// is abandoned with an error.
/// </remarks>
internal static partial class AkkaHocon
{
    /// <summary>Longest a parse of one file may take before it is abandoned as stuck.</summary>
    public static readonly TimeSpan ParseTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Reads HOCON text; <c>include "name"</c> is resolved relative to <paramref name="includeDirectory"/>.</summary>
    /// <param name="fileName">How errors name the text.</param>
    /// <param name="fullPath">Where the text was read from, if from a file (an include of it is a cycle).</param>
    /// <exception cref="ConfigurationFileException">The text, or a file it includes, cannot be used.</exception>
    public static Config ReadText(string text, string fileName, string includeDirectory, string? fullPath) =>
        Read(text, fileName, includeDirectory, fullPath is null ? [] : [(fullPath, fileName)]);

    /// <summary>The 1-based line of the first occurrence of <paramref name="value"/> in <paramref name="text"/>, if any.</summary>
    public static int? LineOf(string text, string value) =>
        text.IndexOf(value, StringComparison.Ordinal) is var index and >= 0 ? LineAndColumn(text, index).Line : null;

    private static Config Read(string text, string fileName, string directory, IReadOnlyList<(string FullPath, string FileName)> openFiles)
    {
        StructureCheck.Run(text, fileName);
        Config config;
        try
        {
            config = Bounded(
                () => ConfigurationFactory.ParseString(text, name => Include(name, text, fileName, directory, openFiles)),
                fileName);
        }
        catch (ConfigurationFileException)
        {
            throw;
        }
        catch (Exception error)
        {
            throw Translate(error, text, fileName);
        }

        ConfigFlattener.Check(config, text, fileName);
        return config;
    }

    // Akka's parser calls this for `include "name"`. The included file is read on its own, so its
    // substitutions refer to its own settings; its root is merged where the include stands.
    private static HoconRoot Include(string name, string text, string fileName, string directory, IReadOnlyList<(string FullPath, string FileName)> openFiles)
    {
        var fullPath = Path.GetFullPath(Path.Combine(directory, name));
        var line = LineOf(text, $"\"{name}\"");
        var includedName = Path.IsPathRooted(name) ? name : Path.Combine(Path.GetDirectoryName(fileName) ?? "", name);
        var cycleStart = openFiles.Select(f => f.FullPath).ToList().IndexOf(fullPath);
        if (cycleStart >= 0)
        {
            var cycle = openFiles.Skip(cycleStart).Select(f => f.FileName).Append(includedName);
            throw new ConfigurationFileException(fileName, line, null, $"include \"{name}\" makes a cycle: {string.Join(" -> ", cycle)}");
        }

        if (!File.Exists(fullPath))
        {
            throw new ConfigurationFileException(fileName, line, null, $"include \"{name}\": there is no file {fullPath}");
        }

        var included = Read(File.ReadAllText(fullPath), includedName, Path.GetDirectoryName(fullPath)!, [.. openFiles, (fullPath, includedName)]);
        return new HoconRoot(included.Root);
    }

    private static T Bounded<T>(Func<T> parse, string fileName)
    {
        var parsing = Task.Factory.StartNew(parse, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!((IAsyncResult)parsing).AsyncWaitHandle.WaitOne(ParseTimeout))
        {
            throw new ConfigurationFileException(
                fileName,
                null,
                null,
                $"Akka's HOCON parser did not finish within {ParseTimeout.TotalSeconds:0} s; look for a syntax error it cannot report, such as a key where a value belongs");
        }

        return parsing.GetAwaiter().GetResult();
    }

    private static ConfigurationFileException Translate(Exception error, string text, string fileName)
    {
        var message = error.Message;
        if (UnknownToken().Match(message) is { Success: true } token && int.TryParse(token.Groups[1].Value, out var index) && index <= text.Length)
        {
            var (line, column) = LineAndColumn(text, index);
            var rest = Rest(text, index);
            return new ConfigurationFileException(
                fileName,
                line,
                column,
                rest.Length > 0 ? $"Akka's HOCON parser cannot read '{rest}' here" : "Akka's HOCON parser expected more text here");
        }

        if (UnresolvedSubstitution().Match(message) is { Success: true } substitution)
        {
            var path = substitution.Groups[1].Value.Trim();
            return new ConfigurationFileException(
                fileName,
                LineOf(text, "${" + path),
                null,
                $"substitution ${{{path}}} names no setting of this file");
        }

        var reason = FirstLine(message);
        if (error is ConfigurationException && message.Contains("unquoted text", StringComparison.Ordinal))
        {
            reason += " Put such values in double quotes, e.g. \"127.0.0.1:8080\".";
        }

        return new ConfigurationFileException(fileName, FirstFailingLine(text, message, fileName), null, reason);
    }

    // The first line L such that the text up to L fails with the same message as the whole text.
    private static int? FirstFailingLine(string text, string message, string fileName)
    {
        try
        {
            return Bounded(
                () =>
                {
                    var end = 0;
                    for (var line = 1; end < text.Length; line++)
                    {
                        end = text.IndexOf('\n', end) is var newline and >= 0 ? newline + 1 : text.Length;
                        try
                        {
                            ConfigurationFactory.ParseString(text[..end], _ => EmptyRoot());
                        }
                        catch (Exception error) when (error.Message == message)
                        {
                            return (int?)line;
                        }
                        catch (Exception)
                        {
                            // A prefix that fails differently (it ends inside a value): keep reading.
                        }
                    }

                    return null;
                },
                fileName);
        }
        catch (ConfigurationFileException)
        {
            return null;
        }
    }

    private static HoconRoot EmptyRoot()
    {
        var root = new HoconValue();
        root.AppendValue(new HoconObject());
        return new HoconRoot(root);
    }

    private static (int Line, int Column) LineAndColumn(string text, int index)
    {
        var lineStart = index == 0 ? 0 : text.LastIndexOf('\n', index - 1) + 1;
        var line = 1;
        for (var i = 0; i < lineStart; i++)
        {
            if (text[i] == '\n')
            {
                line++;
            }
        }

        return (line, index - lineStart + 1);
    }

    private static string Rest(string text, int index)
    {
        var end = text.IndexOf('\n', index) is var newline and >= 0 ? newline : text.Length;
        var rest = text[index..end].TrimEnd();
        return rest.Length > 40 ? rest[..40] + "…" : rest;
    }

    private static string FirstLine(string message) =>
        message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? message;

    [GeneratedRegex(@"Unknown token at position (\d+)")]
    private static partial Regex UnknownToken();

    [GeneratedRegex(@"Unresolved substitution:\s*(.*)")]
    private static partial Regex UnresolvedSubstitution();
}
