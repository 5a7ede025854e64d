namespace Scott.Lab.Runs.Comparison;

/// <summary>
/// Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the first and last points and, from each
/// of n-2 equal buckets in between, the point that spans the largest triangle with the point kept before it and the
/// mean of the next bucket. Unlike taking every k-th point it keeps spikes (a loss blow-up survives the cut).
/// Written here because none of the packages on our feed has it (and it is 40 lines); it returns indices so that a
/// caller can keep the other columns of the chosen rows (wall time next to each point).
/// </summary>
public static class Lttb
{
    /// <summary>Indices (ascending) of at most <paramref name="threshold"/> points of the series (x ascending).</summary>
    public static int[] SelectIndices(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int threshold)
    {
        if (x.Length != y.Length) throw new ArgumentException($"x has {x.Length} points and y {y.Length}: they must match.");
        if (threshold < 3) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "LTTB needs at least 3 points (the two ends and one bucket).");
        int n = x.Length;
        if (n <= threshold) return Enumerable.Range(0, n).ToArray();

        var kept = new int[threshold];
        kept[0] = 0;
        double bucketSize = (double)(n - 2) / (threshold - 2);
        int previous = 0;
        for (int bucket = 0; bucket < threshold - 2; bucket++)
        {
            // The next bucket's mean is the third corner of the triangle (the last point for the last bucket).
            int nextStart = (int)Math.Floor((bucket + 1) * bucketSize) + 1;
            int nextEnd = Math.Min((int)Math.Floor((bucket + 2) * bucketSize) + 1, n);
            double meanX = 0, meanY = 0;
            for (int i = nextStart; i < nextEnd; i++) { meanX += x[i]; meanY += y[i]; }
            int count = nextEnd - nextStart;
            if (count > 0) { meanX /= count; meanY /= count; }
            else { meanX = x[n - 1]; meanY = y[n - 1]; }

            int start = (int)Math.Floor(bucket * bucketSize) + 1;
            int end = (int)Math.Floor((bucket + 1) * bucketSize) + 1;
            double ax = x[previous], ay = y[previous], bestArea = -1;
            int best = start;
            for (int i = start; i < end; i++)
            {
                double area = Math.Abs((ax - meanX) * (y[i] - ay) - (ax - x[i]) * (meanY - ay));
                if (area > bestArea) { bestArea = area; best = i; }
            }
            kept[bucket + 1] = best;
            previous = best;
        }
        kept[threshold - 1] = n - 1;
        return kept;
    }
}
