// The console libraries every verb draws with; the library's and the program's own namespaces are named by each file.
global using Spectre.Console;
global using System.CommandLine;
