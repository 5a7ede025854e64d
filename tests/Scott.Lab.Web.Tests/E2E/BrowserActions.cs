using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Scott.Lab.Web.Tests.E2E;

/// <summary>
/// Inputs that are repeated until the page reaches the state they should cause. On a busy machine an input can reach
/// a Blazor page before its circuit listens, or land while a list re-renders, and is then lost: waiting longer for
/// its effect does not help, doing it again does. Each try waits <see cref="TryMs"/> for the state; the whole is
/// bounded by twice the expectation timeout.
/// </summary>
public static class BrowserActions
{
    private const int TryMs = 10_000;

    /// <summary>Does <paramref name="act"/> (skipped once <paramref name="done"/> says so) until <paramref name="reached"/> passes.</summary>
    public static async Task ActUntilAsync(Func<Task> act, Func<int, Task> reached, Func<bool>? done = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMilliseconds(BrowserTimeouts.ExpectMs * 2);
        while (true)
        {
            try
            {
                if (done?.Invoke() != true) await act();
                await reached(TryMs);
                return;
            }
            // A wait for a URL ends in System.TimeoutException, not a PlaywrightException: both mean "not yet".
            catch (Exception e) when ((e is PlaywrightException or System.TimeoutException) && DateTime.UtcNow < deadline) { }
        }
    }

    /// <summary>Clicks until <paramref name="state"/> is enabled (e.g. a preset button until the form can launch).</summary>
    public static Task ClickUntilEnabledAsync(ILocator button, ILocator state) =>
        ActUntilAsync(() => button.ClickAsync(new() { Timeout = TryMs }), ms => Expect(state).ToBeEnabledAsync(new() { Timeout = ms }));

    /// <summary>Ticks a checkbox (unticked first if the DOM kept an earlier tick) until <paramref name="state"/> shows <paramref name="text"/>.</summary>
    public static Task CheckUntilAsync(ILocator box, ILocator state, string text) =>
        ActUntilAsync(async () =>
        {
            if (await box.IsCheckedAsync()) await box.UncheckAsync();
            await box.CheckAsync();
        }, ms => Expect(state).ToContainTextAsync(text, new() { Timeout = ms }));

    /// <summary>
    /// Does <paramref name="act"/> until the URL matches <paramref name="url"/>. A Blazor navigation is a history
    /// change, so the wait is for the URL to commit, not for a load event.
    /// </summary>
    public static Task ActUntilUrlAsync(IPage page, Func<Task> act, Regex url) =>
        ActUntilAsync(act, ms => page.WaitForURLAsync(url, new() { WaitUntil = WaitUntilState.Commit, Timeout = ms }), () => url.IsMatch(page.Url));
}
