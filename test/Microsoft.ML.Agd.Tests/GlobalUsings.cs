// This project's own namespaces (its folders) and the samples' it uses, for every file; the library's come from Directory.Build.props.
global using Microsoft.ML.Agd.Samples;
global using Microsoft.ML.Agd.Samples.Cli;
global using Microsoft.ML.Agd.Samples.Data;
global using Microsoft.ML.Agd.Samples.Jobs;
global using Microsoft.ML.Agd.Samples.Networks;
global using Microsoft.ML.Agd.Tests.Samples;
global using Microsoft.ML.Agd.Tests.TestData;
global using Microsoft.ML.Agd.Tests.Trainer;
