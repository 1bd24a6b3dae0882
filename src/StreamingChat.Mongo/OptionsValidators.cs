using Microsoft.Extensions.Options;

namespace StreamingChat.Mongo;

// The options' data annotations checked by validators the Options source generator writes at build time: no reflection
// at start-up, and trimming-safe. Each is registered beside its options and runs on start (ValidateOnStart).

/// <summary>Checks <see cref="MongoStoreOptions"/>'s data annotations (source-generated).</summary>
[OptionsValidator]
internal sealed partial class MongoStoreOptionsValidator : IValidateOptions<MongoStoreOptions>
{
}
