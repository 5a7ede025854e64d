namespace Scott.Lab.Web.Features.Compare;

/// <summary>An image the comparison's picker offers: its dataset id (e.g. test-12), a tooltip and a thumbnail URL.</summary>
public sealed record ImageChoice(string Id, string Title, string ThumbnailUrl);
