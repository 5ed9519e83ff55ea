// Benchmarks drive every part of the library and of the samples; the library's own files name what they use.
global using Microsoft.ML.Agd.Models;
global using Microsoft.ML.Agd.Native;
global using Microsoft.ML.Agd.Optim;
global using Microsoft.ML.Agd.Samples.Data;
global using Microsoft.ML.Agd.Samples.Jobs;
