using Scott.Lab.Web.Hosting;

namespace Scott.Lab.Web.Components.Forms;

/// <summary>
/// The admin key typed in the UI, kept for the browser tab's circuit (scoped), so it is asked for once and not on
/// every button. Pages call <see cref="Check"/> before a change; it says why a change is refused, or null.
/// </summary>
public sealed class AdminKeyHolder(AdminGate gate)
{
    public string? Key { get; set; }
    public bool Required => gate.KeyRequired;

    /// <summary>Null when the change may go ahead, else the reason it is refused (for the UI).</summary>
    public string? Check() => gate.Allows(Key) ? null
        : string.IsNullOrEmpty(Key) ? gate.RefusalReason : "The admin key is wrong. " + gate.RefusalReason;
}
