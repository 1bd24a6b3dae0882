using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Bearer tokens made as <c>dotnet user-jwts create</c> makes them (issuer <c>dotnet-user-jwts</c>, an audience, <c>sub</c>
/// and <c>unique_name</c> claims, HMAC-SHA256 with a random symmetric key), and the host settings that accept them, in the
/// layout the tool writes under <c>Authentication:Schemes:Bearer</c>.
/// </summary>
public sealed class JwtTokens(string issuer = "dotnet-user-jwts")
{
    private const string Audience = "http://localhost:5000";
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    /// <summary>The host settings that accept these tokens.</summary>
    public string[] HostSettings => HostSettingsFor(this);

    /// <summary>The host settings that accept the tokens of every one of <paramref name="issuers"/>.</summary>
    public static string[] HostSettingsFor(params JwtTokens[] issuers) =>
    [
        $"--Authentication:Schemes:Bearer:ValidAudiences:0={Audience}",
        .. issuers.SelectMany((tokens, i) => new[]
        {
            $"--Authentication:Schemes:Bearer:ValidIssuers:{i}={tokens.Issuer}",
            $"--Authentication:Schemes:Bearer:SigningKeys:{i}:Issuer={tokens.Issuer}",
            $"--Authentication:Schemes:Bearer:SigningKeys:{i}:Value={Convert.ToBase64String(tokens._key)}",
            $"--Authentication:Schemes:Bearer:SigningKeys:{i}:Length=32",
        }),
    ];

    /// <summary>The issuer of these tokens.</summary>
    public string Issuer { get; } = issuer;

    /// <summary>A token for <paramref name="user"/>, valid for an hour.</summary>
    public string For(string user) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        Subject = new ClaimsIdentity([new Claim("sub", user), new Claim("unique_name", user), new Claim("jti", Guid.NewGuid().ToString("N"))]),
        NotBefore = DateTime.UtcNow.AddMinutes(-1),
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(_key), SecurityAlgorithms.HmacSha256),
    });
}
