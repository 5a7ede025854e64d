using Scott.Lab.Runs;

namespace Scott.Lab.Runs.Tests;

public sealed class RunStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scott-lab-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ARunSurvivesReopeningTheStoreWithItsHistoryAndMetrics()
    {
        string id;
        using (var store = new RunStore(_dir))
        {
            id = store.Create(new RunRecord { Name = "tiny", Dataset = "fashion-mnist", Tags = ["smoke"] }).Id;
            store.SetStatus(id, RunStatus.Running, "worker 42");
            store.AppendMetrics(id, 9, new Dictionary<string, double> { ["loss"] = 1.5, ["health/std"] = 0.4 });
            store.AppendMetrics(id, 19, new Dictionary<string, double> { ["loss"] = 1.2, ["health/std"] = 0.5 });
            store.SetStatus(id, RunStatus.Completed);
        }
        using var reopened = new RunStore(_dir);
        var run = reopened.Get(id)!;
        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal([RunStatus.Queued, RunStatus.Running, RunStatus.Completed], run.History.Select(h => h.Status));
        Assert.Equal(Path.Combine(_dir, "runs", id), run.Directory);
        var rows = reopened.Metrics(id, ["health/std"]);
        Assert.Equal([9L, 19L], rows.Select(r => r.Step));
        Assert.Equal(0.5, rows[1].Values["health/std"]);
        Assert.DoesNotContain("loss", rows[0].Values.Keys);
        Assert.Equal(["health/std", "loss"], reopened.MetricNames(id));
    }

    [Fact]
    public void AGeneratedIdThatIsAlreadyTakenIsDrawnAgainAndItsFolderFollowsIt()
    {
        using var store = new RunStore(_dir);
        var ids = new Queue<string>(["20261201-181914-dca0", "20261201-181914-dca0", "20261201-181914-beef"]);
        store.IdSource = ids.Dequeue;
        var first = store.Create(new RunRecord());
        var second = store.Create(new RunRecord()); // the first draw collides (30 launches in one second did, in CI)
        Assert.Equal("20261201-181914-dca0", first.Id);
        Assert.Equal("20261201-181914-beef", second.Id);
        Assert.Equal(Path.Combine(_dir, "runs", second.Id), second.Directory);
        Assert.Equal(second.Id, second.Name);
        Assert.Equal(2, store.List(new RunQuery(Limit: 10)).Count);
    }

    [Fact]
    public void AFolderTrainedIntoAgainIsFoundAsItsNewestRun()
    {
        // `train --run-dir D`, the folder deleted, `train --run-dir D` again: eval and resume must find the second run.
        using var store = new RunStore(_dir);
        string folder = Path.Combine(_dir, "elsewhere", "sup");
        var stale = store.Create(new RunRecord { Name = "first", Directory = folder, CreatedUtc = new DateTime(2026, 12, 2, 3, 35, 0, DateTimeKind.Utc) });
        var newest = store.Create(new RunRecord { Name = "second", Directory = folder, CreatedUtc = new DateTime(2026, 12, 2, 3, 40, 0, DateTimeKind.Utc) });
        var between = store.Create(new RunRecord { Name = "retry", Directory = folder, CreatedUtc = new DateTime(2026, 12, 2, 3, 37, 0, DateTimeKind.Utc) });
        Assert.Equal(newest.Id, store.FindByDirectory(folder)?.Id);
        Assert.Equal(newest.Id, store.FindByDirectory(folder + Path.DirectorySeparatorChar)?.Id);
        Assert.True(store.Delete(newest.Id));
        Assert.Equal(between.Id, store.FindByDirectory(folder)?.Id); // by creation time, not by the order of creation
        Assert.True(store.Delete(between.Id));
        Assert.Equal(stale.Id, store.FindByDirectory(folder)?.Id);
        Assert.Null(store.FindByDirectory(Path.Combine(_dir, "elsewhere", "other")));
    }

    [Fact]
    public void StoredSpecsAreUpgradedOnceByTheGivenUpgrade()
    {
        using var store = new RunStore(_dir);
        var old = store.Create(new RunRecord { Spec = new System.Text.Json.Nodes.JsonObject { ["model"] = new System.Text.Json.Nodes.JsonObject { ["retired"] = 1, ["width"] = 32 } } });
        var current = store.Create(new RunRecord { Spec = new System.Text.Json.Nodes.JsonObject { ["model"] = new System.Text.Json.Nodes.JsonObject { ["width"] = 32 } } });
        static bool Upgrade(System.Text.Json.Nodes.JsonObject tree) => tree["model"] is System.Text.Json.Nodes.JsonObject m && m.Remove("retired");

        Assert.Equal(1, store.MigrateLegacySpecs(_ => throw new InvalidOperationException("no YAML here"), Upgrade));
        Assert.Equal(0, store.MigrateLegacySpecs(_ => throw new InvalidOperationException("no YAML here"), Upgrade));
        Assert.False(store.Get(old.Id)!.Spec!["model"]!.AsObject().ContainsKey("retired"));
        Assert.Equal(32, store.Get(current.Id)!.Spec!["model"]!["width"]!.GetValue<int>());
    }

    [Fact]
    public void AGivenIdThatIsTakenIsRefusedNotReplaced()
    {
        using var store = new RunStore(_dir);
        store.Create(new RunRecord { Id = "fixed", Name = "one" });
        Assert.ThrowsAny<Exception>(() => store.Create(new RunRecord { Id = "fixed", Name = "two" }));
        Assert.Equal("one", store.Get("fixed")!.Name);
    }

    [Fact]
    public void AnImportedRunIsFinishedNotResumableAndFilteredByItsStatus()
    {
        string id;
        using (var store = new RunStore(_dir))
        {
            id = store.Create(new RunRecord { Name = "from-torch", Status = RunStatus.Imported, Source = "import" }).Id;
            store.Create(new RunRecord { Name = "trained", Status = RunStatus.Completed });
        }
        using var reopened = new RunStore(_dir);
        var run = reopened.Get(id)!;
        Assert.Equal(RunStatus.Imported, run.Status); // stored by name, so older files stay readable
        Assert.Equal(RunStatus.Imported, Assert.Single(run.History).Status);
        Assert.True(run.IsFinished);
        Assert.False(run.CanResume);
        Assert.Equal("from-torch", Assert.Single(reopened.List(new RunQuery(Status: RunStatus.Imported))).Name);
    }

    [Fact]
    public void TwoStoresOnOneFileSeeEachOthersWrites()
    {
        // The portal and a worker process each open the file; shared mode makes every write visible to the other.
        using var portal = new RunStore(_dir);
        using var worker = new RunStore(_dir);
        var id = portal.Create(new RunRecord { Name = "shared" }).Id;
        worker.Update(id, r => { r.Status = RunStatus.Running; r.Step = 30; });
        worker.AppendMetrics(id, 29, new Dictionary<string, double> { ["loss"] = 0.9 });
        Assert.Equal(30, portal.Get(id)!.Step);
        Assert.Single(portal.Metrics(id));
    }

    [Fact]
    public void ReloggingAStepReplacesItAndTruncationDropsLaterSteps()
    {
        using var store = new RunStore(_dir);
        var id = store.Create(new RunRecord()).Id;
        for (long step = 9; step < 50; step += 10) store.AppendMetrics(id, step, new Dictionary<string, double> { ["loss"] = step });
        store.TruncateMetricsFrom(id, 20);
        store.AppendMetrics(id, 29, new Dictionary<string, double> { ["loss"] = -1 });
        store.AppendMetrics(id, 29, new Dictionary<string, double> { ["loss"] = -2 });
        var rows = store.Metrics(id);
        Assert.Equal([9L, 19L, 29L], rows.Select(r => r.Step));
        Assert.Equal(-2, rows[^1].Values["loss"]);
    }

    [Fact]
    public void TheListFiltersBySearchStatusAndTag()
    {
        using var store = new RunStore(_dir);
        store.Create(new RunRecord { Name = "scott-fmnist", Objective = "mim-jepa", Tags = ["paper"] });
        var sup = store.Create(new RunRecord { Name = "baseline", Objective = "supervised" });
        store.SetStatus(sup.Id, RunStatus.Failed, error: "boom");
        Assert.Equal(["baseline"], store.List(new RunQuery(Search: "SUPERV")).Select(r => r.Name));
        Assert.Equal(["baseline"], store.List(new RunQuery(Status: RunStatus.Failed)).Select(r => r.Name));
        Assert.Equal(["scott-fmnist"], store.List(new RunQuery(Tag: "paper")).Select(r => r.Name));
        Assert.Equal(2, store.List().Count);
        Assert.Equal("boom", store.Get(sup.Id)!.Error);
    }

    [Fact]
    public void UpdatingAMissingRunReturnsNull() 
    {
        using var store = new RunStore(_dir);
        Assert.Null(store.Update("nope", r => r.Step = 1));
    }

    [Fact]
    public void TheSpecIsKeptAsADocumentAndReadsBackWithItsTypes()
    {
        var spec = new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = "doc",
            ["model"] = new System.Text.Json.Nodes.JsonObject { ["width"] = 192, ["ffn"] = "swiglu" },
            ["optimizer"] = new System.Text.Json.Nodes.JsonObject { ["lr"] = 5e-4, ["weight_decay"] = new System.Text.Json.Nodes.JsonArray(0.04, 0.4) },
            ["trainer"] = new System.Text.Json.Nodes.JsonObject { ["steps"] = 5_000_000_000L, ["max_minutes"] = null, ["resume"] = true },
        };
        string id;
        using (var store = new RunStore(_dir)) id = store.Create(new RunRecord { Name = "doc", Spec = spec }).Id;

        using var reopened = new RunStore(_dir);
        var back = reopened.Get(id)!.Spec!;
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(spec, back), back.ToJsonString());
        Assert.Equal(192, back["model"]!["width"]!.GetValue<int>()); // numbers read back as any numeric type
        Assert.Equal(192.0, back["model"]!["width"]!.GetValue<double>());
        Assert.Equal(5_000_000_000L, back["trainer"]!["steps"]!.GetValue<long>());
        Assert.Equal(5e-4, back["optimizer"]!["lr"]!.GetValue<double>());
    }

    [Fact]
    public void RunsRecordedWithAYamlSpecAreMigratedToTheDocumentOnce()
    {
        using var store = new RunStore(_dir);
        var old = store.Create(new RunRecord { Name = "old", LegacySpecYaml = "model:\n  width: 64\n" });
        var broken = store.Create(new RunRecord { Name = "broken", LegacySpecYaml = "model: [unclosed\n" });

        int migrated = store.MigrateLegacySpecs(yaml => Scott.Lab.Engine.Config.ConfigLoader.ParseTree(yaml, "legacy"));

        Assert.Equal(1, migrated);
        var run = store.Get(old.Id)!;
        Assert.Equal(64, run.Spec!["model"]!["width"]!.GetValue<int>());
        Assert.Null(run.LegacySpecYaml);
        Assert.Null(store.Get(broken.Id)!.Spec); // unreadable: left as it was
        Assert.NotNull(store.Get(broken.Id)!.LegacySpecYaml);
        Assert.Equal(0, store.MigrateLegacySpecs(yaml => Scott.Lab.Engine.Config.ConfigLoader.ParseTree(yaml, "legacy")));
    }

    /// <summary>A portal shutting down disposes the store while background work still writes to it. LiteDB's own
    /// Dispose closed the engine under those writes: they failed, LiteDB's machine-wide lock could stay held (the next
    /// open hung) and a half-done transaction was later finalized, killing the process (CI, "discarded page must be
    /// writable"). The race was lost in about one round in four before the fix; four rounds catch it most times.</summary>
    [Fact(Timeout = 120_000)]
    public async Task DisposingTheStoreWhileAnotherThreadWritesLosesNoWriteAndLeavesTheFileUsable()
    {
        const int writes = 150;
        for (var round = 0; round < 4; round++)
        {
            var dir = Path.Combine(_dir, $"round-{round}");
            var store = new RunStore(dir);
            var id = store.Create(new RunRecord { Name = "busy", Dataset = "fashion-mnist" }).Id;
            var started = new TaskCompletionSource();
            var writers = Enumerable.Range(0, 2).Select(writer => Task.Run(() =>
            {
                started.TrySetResult();
                for (var i = 0; i < writes; i++)
                {
                    store.Update(id, run => run.Notes = $"{writer}:{i}");
                    store.AppendMetrics(id, writer * writes + i, new Dictionary<string, double> { ["loss"] = i });
                    store.Metrics(id, afterStep: writer * writes + i - 1);
                }
            })).ToArray();
            await started.Task;
            await Task.Delay(10 + 10 * round);
            store.Dispose();
            await Task.WhenAll(writers); // a write that failed throws here

            using var reopened = new RunStore(dir);
            Assert.Equal(2 * writes, reopened.Metrics(id).Count);
            Assert.EndsWith($":{writes - 1}", reopened.Get(id)!.Notes);
            Assert.NotNull(reopened.SetStatus(id, RunStatus.Completed));
        }
    }

    [Theory]
    [InlineData("random bytes")]
    [InlineData("a text file")]
    [InlineData("LiteDB's signature over garbage")]
    public void AStoreFileThatIsNotALiteDbDatabaseIsNamedWithTheFixAndLeftAsItWasUntilMovedAside(string content)
    {
        string file = Path.Combine(_dir, RunStore.FileName);
        byte[] bytes = content == "a text file"
            ? System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("name: not a database\n", 2_000)))
            : Enumerable.Range(0, content == "random bytes" ? 20_000 : 2 * 8192).Select(i => (byte)new Random(i).Next(256)).ToArray();
        if (content == "LiteDB's signature over garbage") "** This is a LiteDB file **"u8.CopyTo(bytes.AsSpan(32)); // whole pages too
        File.WriteAllBytes(file, bytes);

        var e = Assert.Throws<RunStoreUnreadableException>(() => new RunStore(_dir));
        Assert.Equal(file, e.File);
        Assert.Contains($"The run store {file} cannot be read", e.Message);
        Assert.Contains("move it aside", e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(file)); // nothing written to it

        string moved = RunStore.MoveAside(_dir, new DateTime(2026, 12, 2, 11, 0, 0, DateTimeKind.Utc));
        Assert.Equal(file + ".unreadable-20261202-110000", moved);
        Assert.Equal(bytes, File.ReadAllBytes(moved));
        using var fresh = new RunStore(_dir);
        Assert.Empty(fresh.List());
        Assert.NotNull(fresh.Get(fresh.Create(new RunRecord { Name = "after", Dataset = "fashion-mnist" }).Id));
    }

    [Fact]
    public void AnUnreadableFileIsNotMovedOverAnEarlierOne()
    {
        string file = Path.Combine(_dir, RunStore.FileName);
        var at = new DateTime(2026, 12, 2, 11, 0, 0, DateTimeKind.Utc);
        File.WriteAllText(file, "first");
        string first = RunStore.MoveAside(_dir, at);
        File.WriteAllText(file, "second");
        string second = RunStore.MoveAside(_dir, at);
        Assert.NotEqual(first, second);
        Assert.Equal("first", File.ReadAllText(first));
        Assert.Equal("second", File.ReadAllText(second));
    }

    /// <summary>LiteDB marks a file it finds damaged (a byte of its header page); the store's AutoRebuild then rebuilds
    /// it from its readable pages on the next open instead of failing every operation.</summary>
    [Fact]
    public void AFileLiteDbMarkedDamagedIsRebuiltOnTheNextOpenWithItsRuns()
    {
        string id;
        using (var store = new RunStore(_dir))
        {
            id = store.Create(new RunRecord { Name = "kept", Dataset = "fashion-mnist" }).Id;
            store.AppendMetrics(id, 9, new Dictionary<string, double> { ["loss"] = 1.5 });
        }
        string file = Path.Combine(_dir, RunStore.FileName);
        const int invalidStateFlag = 191; // LiteDB 5's HeaderPage.P_INVALID_DATAFILE_STATE
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = invalidStateFlag;
            stream.WriteByte(1);
        }

        using var reopened = new RunStore(_dir);
        Assert.Equal("kept", reopened.Get(id)!.Name);
        Assert.Equal([9L], reopened.Metrics(id).Select(m => m.Step));
        Assert.Equal(0, File.ReadAllBytes(file)[invalidStateFlag]); // rebuilt: no longer marked
    }
}
