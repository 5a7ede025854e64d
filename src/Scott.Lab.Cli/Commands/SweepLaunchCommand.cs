using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs.Sweeps;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab sweep-launch --portal URL [--token KEY] --config preset.yaml [--set k=v]... (--grid k=v1,v2 | --range k=min:max[:steps][:log][:int])... [--random N [--seed S]]</c>:
/// queues a hyperparameter sweep on a portal (POST /api/sweeps), as the New experiment form's Sweep toggles do.
/// Named apart from <c>sweep</c>, which trains a table of objectives under equal compute on this machine: this one
/// only asks a portal to queue runs, and returns once they are queued.
/// </summary>
public static class SweepLaunchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var portal = new Option<string>("--portal") { Description = "The portal that queues and trains the runs, e.g. http://lab-head:5080.", Required = true };
        var token = new Option<string?>("--token") { Description = $"The portal's admin key, where it needs one (default: ${PortalClient.TokenVariable})." };
        var config = new Option<string>("--config") { Description = "The base run config (YAML), e.g. configs/ssl/tiny.yaml.", Required = true };
        var set = new Option<string[]>("--set") { Description = "Override a key of the base config for every trial: --set trainer.steps=200 (repeatable)." };
        var grid = new Option<string[]>("--grid") { Description = "Sweep a key over values: --grid optimizer.lr=1e-3,3e-3 (repeatable; values as in YAML)." };
        var range = new Option<string[]>("--range")
        {
            Description = "Sweep a key over a numeric range: --range optimizer.lr=1e-4:1e-2[:STEPS][:log][:int]. A grid takes STEPS points (ends included); " +
                          "a random search draws uniformly (log-uniformly with log). int: whole numbers.",
        };
        var random = new Option<int?>("--random") { Description = $"A random search of N trials (1 to {SweepPlan.MaxTrials}) instead of a grid." };
        var seed = new Option<int?>("--seed") { Description = "With --random: the seed of the draws (default 0; the same seed draws the same trials)." };
        var executor = new Option<string?>("--executor") { Description = "local | slurm (default: the portal's ScottLab:Executor)." };
        var command = new Command("sweep-launch", "Queue a hyperparameter sweep (a grid, or a random search) on a portal; its page compares the runs.")
            { portal, token, config, set, grid, range, random, seed, executor };
        command.SetAction(parsed =>
        {
            int? trials = parsed.GetValue(random);
            if (parsed.GetValue(seed) is not null && trials is null) throw new ConfigException("--seed applies to a random search: add --random N.");
            var parameters = new JsonObject();
            foreach (string item in parsed.GetValue(grid) ?? []) Add(parameters, "--grid", item, GridValues(item));
            foreach (string item in parsed.GetValue(range) ?? []) Add(parameters, "--range", item, Range(item));
            if (parameters.Count == 0) throw new ConfigException("sweep-launch: give what to sweep, e.g. --grid optimizer.lr=1e-3,3e-3 or --range optimizer.lr=1e-4:1e-2:log --random 8.");

            var spec = ConfigLoader.LoadTree(CliApp.FindConfig(parsed.GetValue(config)!), parsed.GetValue(set) ?? []);
            var body = new JsonObject { ["spec"] = spec, ["mode"] = trials is null ? "grid" : "random", ["parameters"] = parameters };
            if (trials is not null) body["trials"] = trials;
            if (parsed.GetValue(seed) is { } s) body["seed"] = s;
            if (parsed.GetValue(executor) is { } e) body["executor"] = e;

            using var client = new PortalClient(parsed.GetValue(portal)!, null);
            string? adminKey = parsed.GetValue(token) ?? Environment.GetEnvironmentVariable(PortalClient.TokenVariable);
            var sweep = client.Ask(() => client.CreateSweep(body, adminKey), "start it, or give its address with --portal",
                refused => refused.Status == System.Net.HttpStatusCode.Forbidden ? " Pass the portal's admin key with --token." : "");
            string id = sweep["id"]!.GetValue<string>();
            var runs = sweep["trialRuns"]!.AsArray();
            stdout.WriteLine($"sweep {id}: {runs.Count} runs queued on {client.Url}");
            foreach (var trial in runs)
            {
                string values = string.Join(", ", trial!["values"]!.AsObject().Select(kv => $"{kv.Key}={kv.Value?.ToJsonString().Trim('"')}"));
                stdout.WriteLine($"  {trial["index"]}. run {trial["runId"]?.GetValue<string>() ?? "(not queued)"}: {values}");
            }
            foreach (var problem in sweep["problems"]?.AsArray() ?? []) stderr.WriteLine($"warning: {problem}");
            stdout.WriteLine($"compare them at {client.Url}/sweeps/{id}");
            return 0;
        });
        return command;
    }

    private static void Add(JsonObject parameters, string option, string item, JsonNode value)
    {
        string key = KeyOf(option, item);
        if (parameters.ContainsKey(key)) throw new ConfigException($"{option} {item}: {key} is swept twice; give each key once (a list with all its values, or one range).");
        parameters[key] = value;
    }

    private static string KeyOf(string option, string item)
    {
        int eq = item.IndexOf('=');
        if (eq <= 0) throw new ConfigException($"{option} {item}: expected key=..., e.g. {(option == "--grid" ? "--grid optimizer.lr=1e-3,3e-3" : "--range optimizer.lr=1e-4:1e-2:log")}.");
        return item[..eq].Trim();
    }

    /// <summary><c>k=v1,v2</c> → the values, each read as a YAML scalar (1e-3 a number, true a boolean, mlp a string) by the --set reader.</summary>
    private static JsonArray GridValues(string item)
    {
        string values = item[(item.IndexOf('=') + 1)..];
        var list = new JsonArray();
        foreach (string part in values.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) throw new ConfigException($"--grid {item}: an empty value; separate values with single commas, e.g. 1e-3,3e-3.");
            var holder = new JsonObject();
            ConfigLoader.ApplyOverride(holder, "value=" + part);
            list.Add(holder["value"]?.DeepClone());
        }
        return list;
    }

    /// <summary><c>k=min:max[:steps][:log][:int]</c> → a range object of POST /api/sweeps.</summary>
    private static JsonObject Range(string item)
    {
        string[] parts = item[(item.IndexOf('=') + 1)..].Split(':', StringSplitOptions.TrimEntries);
        static double? Number(string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? d : null;
        if (parts.Length < 2 || Number(parts[0]) is not { } min || Number(parts[1]) is not { } max)
            throw new ConfigException($"--range {item}: expected key=min:max[:steps][:log][:int] with numbers, e.g. optimizer.lr=1e-4:1e-2:log.");
        var range = new JsonObject { ["min"] = min, ["max"] = max };
        foreach (string flag in parts[2..])
        {
            if (flag == "log") range["log"] = true;
            else if (flag == "int") range["integer"] = true;
            else if (int.TryParse(flag, NumberStyles.Integer, CultureInfo.InvariantCulture, out int steps)) range["steps"] = steps;
            else throw new ConfigException($"--range {item}: '{flag}' is not a number of steps, log or int.");
        }
        return range;
    }
}
