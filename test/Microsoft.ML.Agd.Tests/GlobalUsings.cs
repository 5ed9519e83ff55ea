// Tests read every part of the library and of the samples; the library's own files name what they use (ArchitectureTests).
global using Microsoft.ML.Agd.Data;
global using Microsoft.ML.Agd.Models;
global using Microsoft.ML.Agd.Native;
global using Microsoft.ML.Agd.Optim;
global using Microsoft.ML.Agd.Search;
global using Microsoft.ML.Agd.Training;
global using Microsoft.ML.Agd.Samples;
global using Microsoft.ML.Agd.Samples.Cli;
global using Microsoft.ML.Agd.Samples.Data;
global using Microsoft.ML.Agd.Samples.Jobs;
global using Microsoft.ML.Agd.Samples.Networks;
global using Microsoft.ML.Agd.Tests.TestData;
global using TorchSharp;
