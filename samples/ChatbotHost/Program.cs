using ChatbotHost;
using ChatbotHost.Cli;

if (ChatbotHostCli.IsCommand(args))
{
    return await ChatbotHostCli.RunAsync(args, Console.Out, Console.Error);
}

var app = ChatbotHostApp.Build(args);
await app.RunAsync();
return 0;
