using System.Globalization;
using Superpower;
using Superpower.Display;
using Superpower.Model;
using Superpower.Parsers;
using Superpower.Tokenizers;

namespace Scott.Lab.Runs.Table;

/// <summary>A filter expression that cannot be used; the message names the position, what was expected and the fix.</summary>
public sealed class RunFilterException(string message) : Exception(message);

/// <summary>The comparison operators of a filter.</summary>
public enum FilterOperator { Equal, NotEqual, Less, LessOrEqual, Greater, GreaterOrEqual, Contains, NotContains }

/// <summary>A parsed filter: a tree of and/or/not over column comparisons.</summary>
public abstract record FilterNode
{
    public abstract bool Matches(RunRow row);
    /// <summary>The comparisons of the tree, in the order written.</summary>
    public abstract IEnumerable<FilterComparison> Comparisons();
}

public sealed record FilterAnd(FilterNode Left, FilterNode Right) : FilterNode
{
    public override bool Matches(RunRow row) => Left.Matches(row) && Right.Matches(row);
    public override IEnumerable<FilterComparison> Comparisons() => Left.Comparisons().Concat(Right.Comparisons());
}

public sealed record FilterOr(FilterNode Left, FilterNode Right) : FilterNode
{
    public override bool Matches(RunRow row) => Left.Matches(row) || Right.Matches(row);
    public override IEnumerable<FilterComparison> Comparisons() => Left.Comparisons().Concat(Right.Comparisons());
}

public sealed record FilterNot(FilterNode Inner) : FilterNode
{
    public override bool Matches(RunRow row) => !Inner.Matches(row);
    public override IEnumerable<FilterComparison> Comparisons() => Inner.Comparisons();
}

/// <summary>
/// <c>column op value</c>. Numbers compare as numbers when both sides are numbers, anything else as text (ignoring
/// case); <c>~</c> is "contains". A column with several values (tags) matches when any value does, and <c>!=</c>/<c>!~</c>
/// when none does. A run without the column matches only <c>!=</c> and <c>!~</c>.
/// </summary>
public sealed record FilterComparison(string Column, FilterOperator Operator, string Value, int Line, int Position) : FilterNode
{
    private readonly double? _number = double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && double.IsFinite(n) ? n : null;

    public override bool Matches(RunRow row)
    {
        var cells = row.Values(Column);
        return Operator switch
        {
            FilterOperator.NotEqual => !cells.Any(c => Compare(c) == 0),
            FilterOperator.NotContains => !cells.Any(Contains),
            FilterOperator.Contains => cells.Any(Contains),
            _ => cells.Any(c => Compare(c) is var order && Operator switch
            {
                FilterOperator.Equal => order == 0,
                FilterOperator.Less => order < 0,
                FilterOperator.LessOrEqual => order <= 0,
                FilterOperator.Greater => order > 0,
                _ => order >= 0,
            }),
        };
    }

    private int Compare(Cell cell) => cell.Number is { } number && _number is { } literal
        ? number.CompareTo(literal)
        : string.Compare(cell.Text, Value, StringComparison.OrdinalIgnoreCase);

    private bool Contains(Cell cell) => cell.Text.Contains(Value, StringComparison.OrdinalIgnoreCase);

    public override IEnumerable<FilterComparison> Comparisons() => [this];
}

/// <summary>
/// The runs table's filter language: <c>objective.id = mim-jepa and eval.linear.top1 > 0.8</c>. Comparisons
/// (<c>= != &lt; &lt;= &gt; &gt;= ~ !~</c>) of a column (any key of <see cref="RunColumns"/>) with a number, a word or a
/// quoted string, joined by <c>and</c>, <c>or</c>, <c>not</c> and parentheses (<c>not</c> binds tightest, then <c>and</c>).
/// Parsed with Superpower (Datalust's parser combinators, Apache-2.0): its tokenizer keeps every token's line and
/// column and its errors say what was expected there, which is what a hand-written parser would have to redo.
/// </summary>
public static class RunFilter
{
    public const string Example = "objective.id = mim-jepa and eval.linear.top1 > 0.8";

    private enum FilterToken
    {
        [Token(Example = "(")] LParen,
        [Token(Example = ")")] RParen,
        [Token(Category = "operator", Example = "=")] Operator,
        [Token(Category = "quoted string")] String,
        [Token(Category = "word")] Word,
    }

    private static readonly Tokenizer<FilterToken> Tokenizer = new TokenizerBuilder<FilterToken>()
        .Ignore(Span.WhiteSpace)
        .Match(Character.EqualTo('('), FilterToken.LParen)
        .Match(Character.EqualTo(')'), FilterToken.RParen)
        .Match(Span.EqualTo("!=").Try().Or(Span.EqualTo("!~")).Try().Or(Span.EqualTo("<=")).Try().Or(Span.EqualTo(">=")).Try().Or(Span.EqualTo("==")), FilterToken.Operator)
        .Match(Character.In('=', '<', '>', '~'), FilterToken.Operator)
        .Match(QuotedString.CStyle, FilterToken.String)
        .Match(QuotedString.SqlStyle, FilterToken.String)
        // A word is a column key (model.width, metric.health/std.last, augment.crops[0].size, eval.linear@10.top1) or
        // a bare value (mim-jepa, 0.8, -1e-4, 2026-12-01).
        .Match(Span.Regex(@"[A-Za-z0-9_.+\-][A-Za-z0-9_.+\-/@:\[\]]*"), FilterToken.Word)
        .Build();

    private static TokenListParser<FilterToken, Token<FilterToken>> Keyword(string word) =>
        Token.EqualToValueIgnoreCase(FilterToken.Word, word);

    private static bool IsKeyword(string word) => word.ToLowerInvariant() is "and" or "or" or "not";

    private static readonly TokenListParser<FilterToken, Token<FilterToken>> Column =
        Token.EqualTo(FilterToken.Word).Where(t => !IsKeyword(t.ToStringValue()), "a column").Named("column");

    private static readonly TokenListParser<FilterToken, FilterOperator> Operator =
        Token.EqualTo(FilterToken.Operator).Select(t => t.ToStringValue() switch
        {
            "=" or "==" => FilterOperator.Equal,
            "!=" => FilterOperator.NotEqual,
            "<" => FilterOperator.Less,
            "<=" => FilterOperator.LessOrEqual,
            ">" => FilterOperator.Greater,
            ">=" => FilterOperator.GreaterOrEqual,
            "~" => FilterOperator.Contains,
            _ => FilterOperator.NotContains,
        }).Named("operator (= != < <= > >= ~ !~)");

    private static readonly TokenListParser<FilterToken, string> Value =
        Token.EqualTo(FilterToken.String).Apply(QuotedString.CStyle.Try().Or(QuotedString.SqlStyle))
            .Or(Token.EqualTo(FilterToken.Word).Where(t => !IsKeyword(t.ToStringValue())).Select(t => t.ToStringValue()))
            .Named("value (a number, a word or a \"quoted string\")");

    private static readonly TokenListParser<FilterToken, FilterNode> Comparison =
        from column in Column
        from op in Operator
        from value in Value
        select (FilterNode)new FilterComparison(RunColumns.Canonical(column.ToStringValue()), op, value, column.Position.Line, column.Position.Column);

    private static readonly TokenListParser<FilterToken, FilterNode> Group =
        from open in Token.EqualTo(FilterToken.LParen)
        from inner in Superpower.Parse.Ref(() => Expression!)
        from close in Token.EqualTo(FilterToken.RParen)
        select inner;

    private static readonly TokenListParser<FilterToken, FilterNode> Unary =
        (from not in Keyword("not") from inner in Superpower.Parse.Ref(() => Unary!) select (FilterNode)new FilterNot(inner))
        .Or(Group)
        .Or(Comparison);

    private static readonly TokenListParser<FilterToken, FilterNode> Conjunction =
        Superpower.Parse.Chain(Keyword("and"), Unary, (_, left, right) => new FilterAnd(left, right));

    private static readonly TokenListParser<FilterToken, FilterNode> Expression =
        Superpower.Parse.Chain(Keyword("or"), Conjunction, (_, left, right) => new FilterOr(left, right));

    private static readonly TokenListParser<FilterToken, FilterNode> Whole = Expression.AtEnd();

    /// <summary>
    /// Parses <paramref name="text"/>; null for an empty filter. Throws <see cref="RunFilterException"/> for a syntax
    /// error or a column that is not in <paramref name="columns"/> (when given).
    /// </summary>
    public static FilterNode? Parse(string? text, IReadOnlyCollection<string>? columns = null)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var tokens = Tokenizer.TryTokenize(text);
        if (!tokens.HasValue)
            throw new RunFilterException($"filter: {tokens.FormatErrorMessageFragment()} at {tokens.ErrorPosition.Line}:{tokens.ErrorPosition.Column}. {Hint}");
        var parsed = Whole.TryParse(tokens.Value);
        if (!parsed.HasValue)
        {
            // Where a whole comparison was read, what may follow is a joiner: Superpower's chain does not say so itself.
            string what = parsed.FormatErrorMessageFragment();
            if (!what.Contains("expected", StringComparison.Ordinal)) what += ", expected and, or, ) or the end";
            throw new RunFilterException($"filter: {what} at {parsed.ErrorPosition.Line}:{parsed.ErrorPosition.Column}. {Hint}");
        }
        if (columns is not null)
            foreach (var comparison in parsed.Value.Comparisons())
                if (!columns.Contains(comparison.Column))
                    throw new RunFilterException(UnknownColumn(comparison, columns));
        return parsed.Value;
    }

    private const string Hint = "A filter is comparisons joined by and, or, not and parentheses, e.g. " + Example + ".";

    private static string UnknownColumn(FilterComparison comparison, IReadOnlyCollection<string> columns)
    {
        string? closest = columns.Select(c => (Column: c, Distance: Distance(c, comparison.Column)))
            .Where(c => c.Distance <= Math.Max(2, comparison.Column.Length / 3)).OrderBy(c => c.Distance).Select(c => c.Column).FirstOrDefault();
        var examples = columns.Where(c => c.StartsWith(RunColumns.MetricPrefix, StringComparison.Ordinal) || c.StartsWith(RunColumns.EvalPrefix, StringComparison.Ordinal)).Take(4)
            .Prepend("status").Prepend("name");
        return $"filter: unknown column '{comparison.Column}' at {comparison.Line}:{comparison.Position}"
            + (closest is null ? "" : $" (did you mean '{closest}'?)")
            + $"; columns are the run's fields (name, status, duration, tags...), its config keys (e.g. model.width), "
            + "metric.<name>.<last|best|min|max> and eval.<protocol>.<top1|top5>"
            + $", e.g. {string.Join(", ", examples)}. Add column lists every one.";
    }

    // Levenshtein distance, for "did you mean": a few lines, not worth a package.
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
