using StreamingChat.Core;

namespace StreamingChat.Core.Tests.Redis;

public sealed class RedisConnectionStringTests
{
    [Theory]
    [InlineData("redis://localhost", "localhost:6379")]
    [InlineData("redis://cache.internal:6380", "cache.internal:6380")]
    [InlineData("redis://:s3cret@cache:6379/2", "cache:6379,password=s3cret,defaultDatabase=2")]
    [InlineData("redis://app:p%40ss@cache:6379", "cache:6379,user=app,password=p@ss")]
    [InlineData("rediss://cache:6380", "cache:6380,ssl=true")]
    [InlineData("127.0.0.1:6379,password=x", "127.0.0.1:6379,password=x")]
    public void Normalize_TranslatesUrls_AndKeepsNativeStrings(string value, string expected)
        => Assert.Equal(expected, RedisConnectionString.Normalize(value));

    [Theory]
    [InlineData("redis://cache:6379/zero")]
    [InlineData("redis://")]
    public void Normalize_UnreadableUrl_Throws(string value)
        => Assert.Throws<FormatException>(() => RedisConnectionString.Normalize(value));

    [Fact]
    public void Options_ForAServiceThatMustKeepAnswering_StartWithoutRedisAndFailFast()
    {
        var options = new RedisOptions { ConnectionString = "redis://cache:6379", TimeoutMilliseconds = 1500 }.ToConfigurationOptions();

        Assert.False(options.AbortOnConnectFail);
        Assert.Equal(StackExchange.Redis.BacklogPolicy.FailFast, options.BacklogPolicy);
        Assert.Equal(1500, options.ConnectTimeout);
        Assert.Equal(1500, options.AsyncTimeout);
    }
}
