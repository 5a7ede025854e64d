using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LiteDB;

namespace Scott.Lab.Runs;

/// <summary>
/// A run spec's tree (System.Text.Json) as a LiteDB document and back, so that the store keeps the spec as a
/// document (queryable, diffable key by key) rather than as text. Written by hand because LiteDB's own JSON bridge
/// writes 64-bit integers as <c>{"$numberLong": ...}</c>, which is not the spec's shape.
/// </summary>
public static class SpecDocuments
{
    public static void Register(BsonMapper mapper) =>
        mapper.RegisterType(tree => ToBson(tree), bson => bson.IsDocument ? (JsonObject)ToJson(bson)! : null);

    public static BsonValue ToBson(JsonNode? node) => node switch
    {
        null => BsonValue.Null,
        JsonObject o => new BsonDocument(o.ToDictionary(kv => kv.Key, kv => ToBson(kv.Value))),
        JsonArray a => new BsonArray(a.Select(ToBson)),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => new BsonValue(v.GetValue<string>()),
            JsonValueKind.True => new BsonValue(true),
            JsonValueKind.False => new BsonValue(false),
            JsonValueKind.Number when long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) =>
                l is >= int.MinValue and <= int.MaxValue ? new BsonValue((int)l) : new BsonValue(l),
            JsonValueKind.Number => new BsonValue(Number(v)),
            _ => BsonValue.Null,
        },
        _ => BsonValue.Null,
    };

    private static JsonValue ParsedNumber<T>(T number) where T : struct =>
        number is double d && !double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(System.Text.Json.JsonSerializer.SerializeToElement(number))!;

    /// <summary>
    /// A number node's value, whatever CLR type backs it (a parsed node, or one made from an int, long or double:
    /// JsonValue.GetValue converts only between the same types).
    /// </summary>
    public static double Number(JsonValue value) => double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static JsonNode? ToJson(BsonValue value) => value.Type switch
    {
        BsonType.Document => new JsonObject(value.AsDocument.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value)))),
        BsonType.Array => new JsonArray(value.AsArray.Select(ToJson).ToArray()),
        BsonType.String => JsonValue.Create(value.AsString),
        BsonType.Boolean => JsonValue.Create(value.AsBoolean),
        // Numbers come back as parsed JSON numbers, which GetValue<int>, <long> and <double> all read (a node made
        // from a long would answer only GetValue<long>).
        BsonType.Int32 => ParsedNumber(value.AsInt32),
        BsonType.Int64 => ParsedNumber(value.AsInt64),
        BsonType.Double => ParsedNumber(value.AsDouble),
        BsonType.Decimal => ParsedNumber((double)value.AsDecimal),
        _ => null,
    };
}
