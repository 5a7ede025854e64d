namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// A browser test: skipped with the reason when /usr/bin/chromium is missing on a developer's machine; under CI
/// (the CI variable set) it runs, so a missing browser fails instead of hiding. .ci/run installs Debian's chromium.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(ChromiumPath) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            Skip = $"{ChromiumPath} not found: `apt-get install chromium` to run the browser tests (under CI, with CI set, they fail instead).";
    }
}
