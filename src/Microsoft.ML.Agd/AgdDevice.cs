namespace Microsoft.ML.Agd;

/// <summary>Where training runs.</summary>
public enum AgdDevice
{
    /// <summary>CUDA when the CUDA backend is referenced and a GPU is present, else the CPU.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>The first CUDA GPU; an error when none is available.</summary>
    Cuda,
}
