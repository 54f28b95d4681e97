global using Xunit;
// The runtime's namespaces, as the end-to-end tests use them next to the generated code.
global using Hypergrad.Autograd;
global using Hypergrad.Implicit;
global using Hypergrad.Optimizers;
global using Hypergrad.Parameters;
global using Hypergrad.Solving;
global using Hypergrad.Unrolled;
