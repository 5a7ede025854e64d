using Scott.Lab.Runs;
using Scott.Lab.Web.Features.Sessions;

namespace Scott.Lab.Web.Tests.Sessions;

/// <summary>The Slurm executor's pure parts: the job script from settings and overrides, and Slurm's output.</summary>
public sealed class SlurmUnitTests
{
    private static readonly string[] Command = ["/usr/bin/dotnet", "/opt/scott lab/scott-lab.dll", "worker", "--run", "r1", "--claim", "t0k"];

    [Fact]
    public void TheJobScriptHasTheSettingsWithTheRunsOverridesOnTopAndExecsTheWorker()
    {
        var settings = new SlurmOptions
        {
            Partition = "gpu", Account = "lab", Qos = "normal", Gpus = 1, CpusPerTask = 8, Memory = "32G", TimeLimit = "04:00:00",
            ExtraSbatch = ["--constraint=a100"], Setup = "module load cuda/12.4\nexport OMP_NUM_THREADS=8",
        };
        var overrides = new JobOverrides { Partition = "preempt", Gpus = 2, TimeLimit = "1-00:00:00", ExtraSbatch = ["#SBATCH --exclusive", "--nice=10"] };

        string script = SlurmJobScript.Generate("r1", "/shared/runs/r1", SlurmJobSettings.Merge(settings, overrides), Command);
        var lines = script.Split('\n');

        Assert.Equal("#!/bin/bash", lines[0]);
        var sbatch = lines.Where(l => l.StartsWith("#SBATCH ", StringComparison.Ordinal)).ToList();
        Assert.Equal([
            "#SBATCH --job-name=scott-lab-r1", "#SBATCH --output=/shared/runs/r1/slurm-%j.log", "#SBATCH --open-mode=append", "#SBATCH --requeue",
            "#SBATCH --chdir=/shared/runs/r1", "#SBATCH --partition=preempt", "#SBATCH --account=lab", "#SBATCH --qos=normal", "#SBATCH --gres=gpu:2",
            "#SBATCH --cpus-per-task=8", "#SBATCH --mem=32G", "#SBATCH --time=1-00:00:00", "#SBATCH --exclusive", "#SBATCH --nice=10",
        ], sbatch);
        // The setup block runs before the worker; the worker replaces the shell, so Slurm's signals reach it.
        int setup = Array.IndexOf(lines, "module load cuda/12.4");
        Assert.True(setup > 0 && lines[setup + 1] == "export OMP_NUM_THREADS=8", script);
        Assert.Equal("exec /usr/bin/dotnet '/opt/scott lab/scott-lab.dll' worker --run r1 --claim t0k", lines.Single(l => l.StartsWith("exec ", StringComparison.Ordinal)));
        Assert.True(Array.IndexOf(lines, lines.Single(l => l.StartsWith("exec ", StringComparison.Ordinal))) > setup);
    }

    [Fact]
    public void EmptySettingsLeaveTheClustersDefaultsAndNoGpuMeansNoGres()
    {
        string script = SlurmJobScript.Generate("r2", "/d/r2", SlurmJobSettings.Merge(new SlurmOptions { Gpus = 0 }, new JobOverrides { Partition = "  " }), Command);
        Assert.DoesNotContain("--partition", script);
        Assert.DoesNotContain("--gres", script);
        Assert.DoesNotContain("--mem", script);
        Assert.Contains("#SBATCH --requeue\n", script);
    }

    [Fact]
    public void SettingsThatWouldBreakTheScriptAreRefusedNamingTheKey()
    {
        var problems = SlurmJobSettings.Merge(new SlurmOptions(), new JobOverrides
        {
            Partition = "gpu\n#SBATCH --account=someone-else", Gpus = -1, CpusPerTask = 0, ExtraSbatch = ["--a\n--b"],
        }).Problems();
        Assert.Contains(problems, p => p.StartsWith("slurm.partition:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("slurm.gpus:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("slurm.cpusPerTask:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("slurm.extraSbatch:", StringComparison.Ordinal));
        Assert.Empty(SlurmJobSettings.Merge(new SlurmOptions { Partition = "debug", Gpus = 1 }, null).Problems());
    }

    [Fact]
    public void ScontrolsOneLineJobRecordIsParsedWithSpacesInValues()
    {
        // Slurm 22.05, a requeued job waiting for its begin time (Command has a space: it belongs to the value).
        const string line = "JobId=42 JobName=scott-lab-r1 UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 Nice=0 " +
                            "Account=(null) QOS=(null) JobState=PENDING Reason=BeginTime Dependency=(null) Requeue=1 Restarts=1 BatchFlag=1 " +
                            "Reboot=0 ExitCode=0:0 RunTime=00:00:00 TimeLimit=UNLIMITED NodeList= BatchHost=node7 NumNodes=1 " +
                            "Command=/shared/runs/my run/slurm-job.sh WorkDir=/shared/runs/my run StdOut=/shared/runs/my run/slurm-42.log Power=\n";
        var job = SlurmOutput.ParseScontrol(line)!;
        Assert.Equal(("42", "PENDING", "BeginTime", "node7", 1, "0:0"), (job.JobId, job.State, job.Reason, job.Node, job.Restarts, job.ExitCode));
        Assert.False(job.IsFinal);
        Assert.Equal("PENDING (BeginTime)", job.ToString());
        Assert.Equal("/shared/runs/my run/slurm-job.sh", SlurmOutput.ScontrolFields(line)["Command"]);

        var running = SlurmOutput.ParseScontrol("JobId=43 JobState=RUNNING Reason=None Restarts=0 NodeList=gpu[01] BatchHost=(null)")!;
        Assert.Equal((null, "gpu[01]"), (running.Reason, running.Node));
        var cancelled = SlurmOutput.ParseScontrol("JobId=44 JobState=CANCELLED Reason=None Restarts=0 ExitCode=0:15")!;
        Assert.True(cancelled.IsFinal);
        Assert.True(SlurmOutput.ParseScontrol("JobId=45 JobState=NODE_FAIL Reason=NodeDown")!.MayBeRequeued);

        Assert.Null(SlurmOutput.ParseScontrol(""));
        Assert.True(SlurmOutput.IsUnknownJob("slurm_load_jobs error: Invalid job id specified\n"));
    }

    [Fact]
    public void SbatchAndSacctOutputsAreParsed()
    {
        Assert.Equal("1234", SlurmOutput.ParseSbatch("1234\n"));
        Assert.Equal("1234", SlurmOutput.ParseSbatch("1234;cluster-a\n"));
        Assert.Null(SlurmOutput.ParseSbatch("sbatch: error: Batch job submission failed\n"));
        Assert.Equal(("CANCELLED", "0:15"), SlurmOutput.ParseSacct("CANCELLED by 0|0:15\n"));
        Assert.Null(SlurmOutput.ParseSacct(""));
    }
}
