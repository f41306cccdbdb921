using System.Collections;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using LayerLock.Messages;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;
using LayerLock.Messages.Serialization;
using Xunit;

namespace LayerLock.Specs.Serialization;

/// <summary>
/// <see cref="LayerLockSerializer"/> inside one ActorSystem configured with its
/// <see cref="LayerLockSerializer.Hocon"/>. Every <see cref="IWireMessage"/> of Shared.Messages is
/// found by reflection, so a new message without a manifest fails here.
/// </summary>
public sealed class LayerLockSerializerSpecs : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>The wire contract: the manifest of each message type. Changing one breaks every peer of an older build.</summary>
    private static readonly IReadOnlyDictionary<Type, string> PinnedManifests = new Dictionary<Type, string>
    {
        [typeof(AcquireLock)] = "acquire",
        [typeof(ReleaseLock)] = "release",
        [typeof(CancelWait)] = "cancel",
        [typeof(KeepLockAlive)] = "keep-alive",
        [typeof(ClaimLock)] = "claim",
        [typeof(ReportProgress)] = "progress",
        [typeof(LockGranted)] = "granted",
        [typeof(LockQueued)] = "queued",
        [typeof(LockNotAcquired)] = "not-acquired",
        [typeof(LockReleased)] = "released",
        [typeof(LockRefused)] = "refused",
        [typeof(LockKeptAlive)] = "kept-alive",
        [typeof(ClaimAccepted)] = "claim-accepted",
        [typeof(ClaimRejected)] = "claim-rejected",
        [typeof(LockRevoked)] = "revoked",
        [typeof(RegisterAgent)] = "register",
        [typeof(AgentRegistered)] = "registered",
        [typeof(RegistrationRefused)] = "registration-refused",
        [typeof(ReconcileHeld)] = "reconcile",
        [typeof(LinkAlive)] = "alive",
        [typeof(AgentLayers)] = "layers",
        [typeof(PeerGranted)] = "peer-granted",
        [typeof(PeerFetched)] = "peer-fetched",
    };

    public LayerLockSerializerSpecs()
        : base(LayerLockSerializer.Hocon)
    {
    }

    public static TheoryData<Type> WireMessageTypes() => [.. FindWireMessageTypes()];

    [Fact]
    public void Identifier_should_be_the_one_on_the_wire()
    {
        var serializer = Assert.IsType<LayerLockSerializer>(Sys.Serialization.FindSerializerForType(typeof(AcquireLock)));

        Assert.Equal(19532, serializer.Identifier);
    }

    [Fact]
    public void The_pinned_manifest_table_should_list_every_wire_message_type()
    {
        Assert.Equal(PinnedManifests.Keys.OrderBy(t => t.Name), FindWireMessageTypes().OrderBy(t => t.Name));
    }

    [Theory]
    [MemberData(nameof(WireMessageTypes))]
    public void FindSerializerFor_should_pick_LayerLockSerializer_with_the_pinned_manifest(Type messageType)
    {
        var message = Sample(messageType, withNulls: false);

        var serializer = Assert.IsType<LayerLockSerializer>(Sys.Serialization.FindSerializerFor(message));

        Assert.Equal(PinnedManifests[messageType], serializer.Manifest(message));
    }

    [Theory]
    [MemberData(nameof(WireMessageTypes))]
    public void Every_wire_message_should_round_trip_equal_to_the_original(Type messageType)
    {
        foreach (var message in new[] { Sample(messageType, withNulls: false), Sample(messageType, withNulls: true) })
        {
            var copy = RoundTrip(message);

            Assert.IsType(messageType, copy);
            foreach (var property in messageType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                AssertSameValue(property.Name, property.GetValue(message), property.GetValue(copy));
            }
        }
    }

    [Fact]
    public void Payload_should_be_snake_case_json_with_durations_in_whole_milliseconds()
    {
        var serializer = NewSerializer();
        var acquire = new AcquireLock("sha256:abc", "node-a", 7, TimeSpan.FromTicks(15_009_999), TimeSpan.FromSeconds(30));

        Assert.Equal(
            """{"key":"sha256:abc","node":"node-a","request_id":7,"wait":1500,"ttl":30000,"registry":null,"exclude_sources":null}""",
            Encoding.UTF8.GetString(serializer.ToBinary(acquire)));
        Assert.Equal(
            """{"key":"k","node":"n","request_id":1,"wait":0,"ttl":null,"registry":"registry.example:5000","exclude_sources":null}""",
            Encoding.UTF8.GetString(serializer.ToBinary(new AcquireLock("k", "n", 1, TimeSpan.Zero, Registry: "registry.example:5000"))));
        Assert.Equal(
            """{"key":"k","node":"n","token":3,"success":false,"error":"429","retry_after":20000,"bytes":null}""",
            Encoding.UTF8.GetString(serializer.ToBinary(new ReleaseLock("k", "n", 3, false, "429", TimeSpan.FromSeconds(20)))));
        Assert.Equal(
            """{"node":"node-a","held":[{"key":"k","token":9223372036854775807}],"auth_token":null,"peer_url":null}""",
            Encoding.UTF8.GetString(serializer.ToBinary(new RegisterAgent("node-a", [new HeldLock("k", long.MaxValue)]))));
    }

    [Fact]
    public void A_payload_with_fields_it_does_not_know_should_still_be_read()
    {
        var serializer = NewSerializer();
        var payload = """{"key":"k","node":"n","token":3,"added_by_a_newer_peer":{"x":[1]}}"""u8.ToArray();

        Assert.Equal(new ClaimLock("k", "n", 3), serializer.FromBinary(payload, "claim"));
    }

    [Fact]
    public void An_unknown_manifest_should_throw_SerializationException_naming_it()
    {
        var error = Assert.Throws<SerializationException>(
            () => Sys.Serialization.Deserialize("{}"u8.ToArray(), LayerLockSerializer.Id, "lock-stolen"));

        Assert.Contains("\"lock-stolen\"", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"key":"k","node":"n","request_id":1""")]
    [InlineData("""{"key":null,"node":"n","request_id":1,"wait":0,"ttl":null}""")]
    [InlineData("""{"key":"k","node":"n","request_id":"1","wait":0,"ttl":null}""")]
    [InlineData("""{"key":"k","node":"n","request_id":1,"wait":"00:00:01","ttl":null}""")]
    [InlineData("""{"key":"k","node":"n","request_id":1,"wait":1.5,"ttl":null}""")]
    [InlineData("""{"key":"k","node":"n","request_id":1,"wait":922337203685478,"ttl":null}""")]
    public void A_payload_that_does_not_parse_should_throw_SerializationException_naming_the_manifest(string payload)
    {
        var error = Assert.Throws<SerializationException>(
            () => Sys.Serialization.Deserialize(Encoding.UTF8.GetBytes(payload), LayerLockSerializer.Id, "acquire"));

        Assert.Contains("\"acquire\"", error.Message);
    }

    [Fact]
    public void A_payload_of_invalid_utf8_should_throw_SerializationException()
    {
        byte[] payload = [.. "{\"key\":\""u8, 0xFF, 0xFE, .. "\",\"node\":\"n\",\"token\":1}"u8];

        var error = Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize(payload, LayerLockSerializer.Id, "claim"));

        Assert.Contains("\"claim\"", error.Message);
    }

    [Fact]
    public void A_message_type_without_a_manifest_should_throw_SerializationException_naming_it()
    {
        var serializer = NewSerializer();

        var error = Assert.Throws<SerializationException>(() => serializer.ToBinary(new UnboundMessage("x")));

        Assert.Contains(nameof(UnboundMessage), error.Message);
    }

    [Fact]
    public void A_message_type_bound_to_no_serializer_should_not_fall_back_to_Newtonsoft_json()
    {
        Assert.Throws<SerializationException>(() => Sys.Serialization.FindSerializerFor(new UnboundMessage("x")));
    }

    private LayerLockSerializer NewSerializer() => new((ExtendedActorSystem)Sys);

    /// <summary>Through the ActorSystem, as Akka.Remote does it: find by type, write, read back by identifier and manifest.</summary>
    private object RoundTrip(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);

        return Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
    }

    private static IEnumerable<Type> FindWireMessageTypes() =>
        typeof(IWireMessage).Assembly.GetTypes()
            .Where(t => typeof(IWireMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false });

    private static void AssertSameValue(string property, object? expected, object? actual)
    {
        if (expected is IEnumerable items and not string)
        {
            Assert.Equal(items.Cast<object>(), Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object>());
            return;
        }

        Assert.True(Equals(expected, actual), $"{property}: expected {expected ?? "null"}, got {actual ?? "null"}");
    }

    /// <summary>
    /// An instance of <paramref name="messageType"/> through its primary constructor, every argument
    /// distinct (so swapped fields show) and, with <paramref name="withNulls"/>, null wherever allowed.
    /// </summary>
    private static object Sample(Type messageType, bool withNulls)
    {
        var constructor = messageType.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var nullability = new NullabilityInfoContext();
        var arguments = constructor.GetParameters()
            .Select((parameter, index) => SampleValue(parameter, index, withNulls && nullability.Create(parameter).WriteState == NullabilityState.Nullable))
            .ToArray();
        return constructor.Invoke(arguments);
    }

    private static object? SampleValue(ParameterInfo parameter, int index, bool asNull)
    {
        if (asNull)
        {
            return null;
        }

        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        return type switch
        {
            _ when type == typeof(string) => $"{parameter.Name}-sha256:é✓-{index}",
            _ when type == typeof(long) => long.MaxValue - index,
            _ when type == typeof(int) => 1000 + index,
            _ when type == typeof(bool) => true,
            _ when type == typeof(TimeSpan) => TimeSpan.FromMilliseconds(1500 + index),
            _ when type == typeof(IReadOnlyList<HeldLock>) => new[] { new HeldLock("sha256:aa", 1), new HeldLock("sha256:bb", long.MaxValue) },
            _ when type == typeof(IReadOnlyList<RejectedClaim>) => new[] { new RejectedClaim("sha256:cc", 2, "stale token") },
            _ when type == typeof(IReadOnlyList<string>) => new[] { "sha256:dd", $"{parameter.Name}-{index}" },
            _ => throw new InvalidOperationException($"no sample for {parameter.Name} of type {type}; teach {nameof(SampleValue)} this type"),
        };
    }

    private sealed record UnboundMessage(string Text);
}
