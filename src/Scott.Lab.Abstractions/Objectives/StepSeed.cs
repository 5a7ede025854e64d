namespace Scott.Lab.Abstractions.Objectives;

/// <summary>
/// Deterministic seeds derived from (run seed, step, stream). Every random draw of a step (augmentation, masks,
/// dropout) is seeded from these, so a run resumed from a checkpoint at step s replays steps s, s+1, ... exactly,
/// without having to save and restore generator states. Unlike <see cref="HashCode"/>, stable across processes.
/// </summary>
public static class StepSeed
{
    public static int For(int seed, long step, int stream)
    {
        ulong x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)step * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)stream * 0x94D049BB133111EBUL;
        // SplitMix64 finaliser.
        x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27; x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (int)(x & 0x7FFFFFFF);
    }
}
