using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Web.Components.Forms;

namespace Scott.Lab.Web.Features.Experiments;

/// <summary>The dataset, tokenizer or objective chosen on the New experiment page, with its options form.</summary>
public sealed class PluginPick(PluginKind kind, string section, string title)
{
    public PluginKind Kind { get; } = kind;
    /// <summary>The spec's key: dataset, tokenizer or objective.</summary>
    public string Section { get; } = section;
    public string Title { get; } = title;
    public string? Id { get; set; }
    /// <summary>The options form of the picked plugin; null when none (or an unknown one) is picked.</summary>
    public OptionsFormModel? Form { get; set; }
    /// <summary>Why the picked id cannot be used (unknown, failed to load).</summary>
    public string? Error { get; set; }
    /// <summary>Options that came with an id that is not loaded (yet): used if that plugin appears (an upload).</summary>
    public System.Text.Json.Nodes.JsonObject? PendingOptions { get; set; }
    /// <summary>Bumped on every pick so that the form is rebuilt, not patched.</summary>
    public int Generation { get; set; }
}
