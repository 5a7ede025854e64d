using System.Text.Json;
using System.Text.Json.Serialization;

namespace Scott.Lab.Web.Hosting;

/// <summary>
/// What every feature's REST endpoints share: camelCase JSON with enums as strings, errors as
/// <c>{"error": "..."}</c>, and the admin gate's refusal.
/// </summary>
public static class ApiResults
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>A 403 with the gate's reason when this request may not change anything; null when it may.</summary>
    public static IResult? Refused(HttpContext context, AdminGate gate) =>
        gate.Allows(context.Request.Headers[AdminGate.HeaderName].FirstOrDefault())
            ? null
            : Error(StatusCodes.Status403Forbidden, gate.RefusalReason);

    public static IResult Error(int status, string message) => Results.Json(new { error = message }, Json, statusCode: status);
}
