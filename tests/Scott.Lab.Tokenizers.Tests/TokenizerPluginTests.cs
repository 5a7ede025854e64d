using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Tokenizers.Patch;
using Scott.Lab.Tokenizers.Scott;

namespace Scott.Lab.Tokenizers.Tests;

public class TokenizerPluginTests
{
    public static TheoryData<Type, string> Plugins => new()
    {
        { typeof(ScottTokenizerPlugin), "scott" },
        { typeof(PatchTokenizerPlugin), "patch" },
    };

    [Theory]
    [MemberData(nameof(Plugins))]
    public void Plugin_declares_itself_as_a_tokenizer_with_annotated_options(Type type, string id)
    {
        var plugin = Assert.IsAssignableFrom<ITokenizerPlugin>(Activator.CreateInstance(type));
        Assert.Equal(id, plugin.Id);
        Assert.False(string.IsNullOrWhiteSpace(plugin.DisplayName));
        Assert.False(string.IsNullOrWhiteSpace(plugin.Description));

        var properties = plugin.OptionsType.GetProperties();
        Assert.NotEmpty(properties);
        Assert.All(properties, p =>
        {
            Assert.NotNull(p.GetCustomAttributes(typeof(RangeAttribute), false).SingleOrDefault());
            Assert.NotNull(p.GetCustomAttributes(typeof(DisplayAttribute), false).SingleOrDefault());
            Assert.NotNull(p.GetCustomAttributes(typeof(DescriptionAttribute), false).SingleOrDefault());
        });
    }

    [Fact]
    public void Null_options_mean_the_reference_defaults()
    {
        using var scott = new ScottTokenizerPlugin().Create(null, new TokenizerContext(224, 3, 192));
        Assert.Equal(14, scott.GridHeight);
        using var patch = new PatchTokenizerPlugin().Create(null, new TokenizerContext(224, 3, 192));
        Assert.Equal(14, patch.GridHeight);
    }
}
