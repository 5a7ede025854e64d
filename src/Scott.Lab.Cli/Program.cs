using Scott.Lab.Cli.Commands;

// scott-lab: the headless entry point to the same engine the portal uses.
return CliApp.Run(args, Console.Out, Console.Error);
