using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Runs;
using Scott.Lab.Web.Tests.Integration;

namespace Scott.Lab.Web.Tests.Sweeps;

/// <summary>POST /api/sweeps and GET /api/sweeps/{id}: validation of every trial before anything is queued, the admin gate, the stored group.</summary>
[Collection(nameof(SessionTests))] // it starts a worker: not beside the other session tests on a 2-core machine
public sealed class SweepApiTests : IDisposable
{
    private readonly PortalHost _host = new(PortalHost.NewDataDir());

    public void Dispose()
    {
        _host.KillWorkers();
        _host.Dispose();
    }

    private static JsonObject Body(JsonObject spec, JsonObject parameters, string mode = "grid", int? trials = null)
    {
        var body = new JsonObject { ["spec"] = spec, ["mode"] = mode, ["parameters"] = parameters };
        if (trials is not null) body["trials"] = trials;
        return body;
    }

    [Fact]
    public async Task AGridSweepIs201WithOneQueuedRunPerCombinationEachCarryingTheSweep()
    {
        var client = _host.CreateClient();
        var body = Body(Specs.Tiny("trainer.steps=2", "trainer.batch_size=8", "name=api-sweep"), new JsonObject
        {
            ["optimizer.lr"] = new JsonArray(0.001, 0.003),
            ["model.depth"] = new JsonObject { ["min"] = 1, ["max"] = 2, ["steps"] = 2, ["integer"] = true },
        });
        var response = await client.PostAsync("/api/sweeps", Specs.Json(body));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode}: {text}");
        var sweep = JsonNode.Parse(text)!.AsObject();
        string id = sweep["id"]!.GetValue<string>();
        Assert.Equal($"/api/sweeps/{id}", response.Headers.Location?.ToString());
        var trials = sweep["trialRuns"]!.AsArray();
        Assert.Equal(4, trials.Count);
        try
        {
            // Each trial's run has the sweep's id, its name and the trial's values in its stored spec.
            foreach (var trial in trials)
            {
                var run = _host.Store.Get(trial!["runId"]!.GetValue<string>())!;
                Assert.Equal(id, run.SweepId);
                Assert.Equal($"api-sweep-{trial["index"]!.GetValue<int>()}", run.Name);
                Assert.Equal(trial["values"]!["optimizer.lr"]!.GetValue<double>(), run.Spec!["optimizer"]!["lr"]!.GetValue<double>());
                Assert.Equal(trial["values"]!["model.depth"]!.GetValue<int>(), run.Spec["model"]!["depth"]!.GetValue<int>());
            }
            Assert.Equal(["0.001/1", "0.001/2", "0.003/1", "0.003/2"],
                trials.Select(t => $"{t!["values"]!["optimizer.lr"]}/{t["values"]!["model.depth"]}"));

            var read = (await client.GetFromJsonAsync<JsonObject>($"/api/sweeps/{id}"))!;
            Assert.Equal("Grid", read["mode"]!.GetValue<string>());
            Assert.Equal(4, read["runs"]!.AsArray().Count);
            Assert.All(read["runs"]!.AsArray(), r => Assert.NotNull(r!["status"]));
            Assert.Contains((await client.GetFromJsonAsync<JsonArray>("/api/sweeps"))!, s => s!["id"]!.GetValue<string>() == id);
        }
        finally
        {
            foreach (var trial in trials) await client.PostAsync($"/api/runs/{trial!["runId"]}/cancel", null);
        }
    }

    [Fact]
    public async Task ATrialThatFailsValidationIs400NamingTheTrialAndNothingIsQueued()
    {
        var client = _host.CreateClient();
        // heads must divide width (32): 2 is fine, 3 is not; lr 20 is out of range for every trial with it.
        var body = Body(Specs.Tiny("trainer.steps=2", "objective.id=nope"), new JsonObject
        {
            ["model.heads"] = new JsonArray(2, 3),
        });
        var response = await client.PostAsync("/api/sweeps", Specs.Json(body));
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonNode.Parse(text)!["errors"]!.AsObject();
        // A problem every trial shares is said once, as for one run...
        Assert.Single(errors["objective.id"]!.AsArray());
        // ...one of a single trial names it and its values.
        Assert.Contains(errors["model.heads"]!.AsArray(), m => m!.GetValue<string>().StartsWith("trial 2 of 2 (model.heads=3):"));
        Assert.Empty(_host.Store.List());
        Assert.Empty(_host.Store.ListSweeps());
    }

    [Fact]
    public async Task BadSweepDefinitionsAre400WithEveryProblem()
    {
        var client = _host.CreateClient();
        async Task<JsonObject> Errors(JsonNode body)
        {
            var response = await client.PostAsync("/api/sweeps", Specs.Json(body));
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {text}");
            return JsonNode.Parse(text)!["errors"]!.AsObject();
        }

        var big = new JsonArray(Enumerable.Range(1, 9).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
        var tooMany = await Errors(Body(Specs.Tiny(), new JsonObject { ["model.depth"] = big, ["trainer.seed"] = big.DeepClone() }));
        Assert.Contains("over the limit of 64", tooMany["parameters"]![0]!.GetValue<string>());

        var random = await Errors(Body(Specs.Tiny(), new JsonObject { ["optimizer.lr"] = new JsonObject { ["min"] = 0, ["max"] = 0.01, ["log"] = true } }, "random"));
        Assert.NotNull(random["trials"]);
        Assert.Contains("min > 0", random["parameters.optimizer.lr"]![0]!.GetValue<string>());

        var shape = await Errors(new JsonObject { ["mode"] = "diagonal", ["parameters"] = new JsonObject { ["optimizer.lr"] = 0.1 }, ["extra"] = 1 });
        Assert.NotNull(shape["spec"]);
        Assert.NotNull(shape["mode"]);
        Assert.NotNull(shape["extra"]);
        Assert.NotNull(shape["parameters.optimizer.lr"]);

        Assert.NotNull((await Errors(new JsonArray(1)))["body"]);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/sweeps/sweep-none")).StatusCode);
        Assert.Empty(_host.Store.List());
    }

    [Fact]
    public async Task BeyondLoopbackASweepNeedsTheAdminKey()
    {
        using var keyed = new PortalHost(PortalHost.NewDataDir(), listenBeyondLoopback: "http://0.0.0.0:5080", adminKey: "s3cret");
        var client = keyed.CreateClient();
        // A bad sweep, so that getting past the gate queues nothing: 403 without the key, 400 with it.
        var bad = Body(Specs.Tiny(), new JsonObject { ["optimizer.lr"] = new JsonArray(-1, -2) });
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/sweeps", Specs.Json(bad))).StatusCode);
        client.DefaultRequestHeaders.Add("X-Admin-Key", "wrong");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsync("/api/sweeps", Specs.Json(bad))).StatusCode);
        client.DefaultRequestHeaders.Remove("X-Admin-Key");
        client.DefaultRequestHeaders.Add("X-Admin-Key", "s3cret");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/sweeps", Specs.Json(bad))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/sweeps")).StatusCode); // reading needs no key
    }
}
