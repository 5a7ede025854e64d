using System.Diagnostics;
using System.Runtime.InteropServices;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Recording;

/// <summary>
/// Samples what this process uses (CPU time, resident memory and, on CUDA, the GPU's utilisation and memory) every
/// <see cref="Interval"/> and reports each sample as a <see cref="RunEventKind.Resources"/> event through the run's
/// recorder. The process samples itself, so the run page gets the same series for a local worker, an `eval` and a
/// Slurm job on another node. Cheap by design: one Process refresh (reads /proc/self) and, on CUDA, two NVML calls
/// per sample, on a timer thread that never touches training.
/// </summary>
public sealed class ResourceSampler : IDisposable
{
    /// <summary>Seconds between samples (default 10); tests set it lower.</summary>
    public const string IntervalVariable = "SCOTT_LAB_RESOURCE_SECONDS";

    private readonly Action<RunEvent> _emit;
    private readonly string _role;
    private readonly Process _self = Process.GetCurrentProcess();
    private readonly Timer _timer;
    private readonly Gpu? _gpu;
    private readonly object _gate = new();
    private TimeSpan _lastCpu;
    private DateTime _lastAt;
    private bool _disposed;

    public ResourceSampler(string role, bool cuda, Action<RunEvent> emit, TimeSpan? interval = null)
    {
        (_role, _emit) = (role, emit);
        Interval = interval ?? FromEnvironment();
        _gpu = cuda ? Gpu.TryOpen() : null;
        _lastCpu = _self.TotalProcessorTime;
        _lastAt = DateTime.UtcNow;
        // The first sample after one interval: a CPU share needs a period to be measured over.
        _timer = new Timer(_ => Sample(), null, Interval, Interval);
    }

    public TimeSpan Interval { get; }

    private static TimeSpan FromEnvironment() =>
        double.TryParse(Environment.GetEnvironmentVariable(IntervalVariable), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0
            ? TimeSpan.FromSeconds(Math.Max(0.2, s))
            : TimeSpan.FromSeconds(10);

    /// <summary>Takes and reports one sample now (the timer calls it; never throws: a sample is not worth a run).</summary>
    public ResourceSample? Sample()
    {
        lock (_gate)
        {
            if (_disposed) return null;
            try
            {
                _self.Refresh();
                var now = DateTime.UtcNow;
                var cpu = _self.TotalProcessorTime;
                double wall = (now - _lastAt).TotalSeconds;
                var sample = new ResourceSample
                {
                    Role = _role,
                    Host = Environment.MachineName,
                    Pid = Environment.ProcessId,
                    AtUtc = now,
                    CpuPercent = wall > 0 ? Math.Round(100 * (cpu - _lastCpu).TotalSeconds / wall, 1) : 0,
                    RssBytes = _self.WorkingSet64,
                };
                (_lastCpu, _lastAt) = (cpu, now);
                _gpu?.Fill(sample);
                _emit(new RunEvent { Kind = RunEventKind.Resources, AtUtc = now, Sample = sample });
                return sample;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Takes a last sample (so a process shorter than one interval still shows up), then stops.</summary>
    public void Dispose()
    {
        if (DateTime.UtcNow - _lastAt > TimeSpan.FromMilliseconds(200)) Sample();
        lock (_gate) _disposed = true;
        _timer.Dispose();
        _self.Dispose();
    }

    /// <summary>
    /// The CUDA device this process uses, through NVML (libnvidia-ml, installed with the driver): its utilisation and
    /// memory. TorchSharp does not expose either; NVML is what nvidia-smi reads, without starting a process per sample.
    /// </summary>
    private sealed class Gpu
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct Utilization { public uint Gpu; public uint Memory; }

        [StructLayout(LayoutKind.Sequential)]
        private struct Memory { public ulong Total; public ulong Free; public ulong Used; }

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int InitFn();
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int HandleFn(uint index, out IntPtr device);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int UtilizationFn(IntPtr device, out Utilization utilization);
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate int MemoryFn(IntPtr device, out Memory memory);

        private readonly IntPtr _device;
        private readonly UtilizationFn _utilization;
        private readonly MemoryFn _memory;

        private Gpu(IntPtr device, UtilizationFn utilization, MemoryFn memory) => (_device, _utilization, _memory) = (device, utilization, memory);

        /// <summary>The first visible device (CUDA_VISIBLE_DEVICES' first index when it is a number), or null without NVML.</summary>
        public static Gpu? TryOpen()
        {
            // The driver installs libnvidia-ml.so.1 (the unversioned name only comes with the CUDA toolkit's dev files).
            IntPtr library = IntPtr.Zero;
            foreach (var name in new[] { "libnvidia-ml.so.1", "libnvidia-ml.so", "nvml.dll" })
                if (NativeLibrary.TryLoad(name, out library)) break;
            if (library == IntPtr.Zero) return null;
            T Fn<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));
            try
            {
                if (Fn<InitFn>("nvmlInit_v2")() != 0) return null;
                uint index = 0;
                string? visible = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES");
                if (visible is not null && uint.TryParse(visible.Split(',')[0].Trim(), out uint first)) index = first;
                return Fn<HandleFn>("nvmlDeviceGetHandleByIndex_v2")(index, out var device) == 0
                    ? new Gpu(device, Fn<UtilizationFn>("nvmlDeviceGetUtilizationRates"), Fn<MemoryFn>("nvmlDeviceGetMemoryInfo"))
                    : null;
            }
            catch (EntryPointNotFoundException)
            {
                return null;
            }
        }

        public void Fill(ResourceSample sample)
        {
            if (_utilization(_device, out var utilization) == 0) sample.GpuPercent = utilization.Gpu;
            if (_memory(_device, out var memory) == 0)
            {
                sample.GpuMemoryBytes = (long)memory.Used;
                sample.GpuMemoryTotalBytes = (long)memory.Total;
            }
        }
    }
}
