using Grpc.Core;

namespace LayerLock.LoadDriver.Systems.Etcd;

/// <summary>What the etcd adapter throws when dotnet-etcd's gRPC call fails.</summary>
internal static class EtcdErrors
{
    public static LockSystemException Of(string call, Uri endpoint, RpcException error) => error.StatusCode == StatusCode.Unavailable
        ? new LockSystemException($"etcd: {call} at {endpoint}: unavailable ({error.Status.Detail}); is etcd running?", error)
        : new LockSystemException($"etcd: {call} at {endpoint}: {error.StatusCode} {error.Status.Detail}", error);
}
