// This project's own namespaces (its folders) and the samples' it uses, for every file; the library's come from Directory.Build.props.
global using Microsoft.ML.Agd.Samples.Data;
global using Microsoft.ML.Agd.Samples.Jobs;
