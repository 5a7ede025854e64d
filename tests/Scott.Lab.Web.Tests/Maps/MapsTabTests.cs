using Scott.Lab.Web.Features.Maps;

namespace Scott.Lab.Web.Tests.Maps;

public class MapsTabTests
{
    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(150, 100, 3 * 7 + 5)]      // 192 px for 7 patches: 27.4 px a patch
    [InlineData(191.9, 191.9, 48)]
    [InlineData(192, 300, 48)]             // the border and beyond: the last patch
    [InlineData(-3, 27.5, 7)]
    public void A_click_offset_in_the_fixed_size_picture_is_the_token_under_it(double x, double y, int token) =>
        Assert.Equal(token, MapsTab.TokenAt(x, y, 7, 7));

    [Fact]
    public void Grids_need_not_be_square() =>
        Assert.Equal(1 * 4 + 3, MapsTab.TokenAt(MapsTab.View - 1, MapsTab.View / 2 + 1, 2, 4));
}
