// Quickstart: the hypergradient of a ridge-regression validation loss with respect to the ridge
// strength, computed by implicit differentiation from Hessian-vector products, next to its closed form.
using Hypergrad.Autograd;
using TorchSharp;
using static TorchSharp.torch;

torch.manual_seed(0);
const int n = 256, d = 8;
var x = randn(n, d, dtype: float64);
var y = x.matmul(randn(d, dtype: float64)) + 0.1 * randn(n, dtype: float64);
var xv = randn(n, d, dtype: float64);
var yv = xv.matmul(randn(d, dtype: float64));
var lambda = tensor(0.3, dtype: float64).requires_grad_(true);

// Inner solution w* = argmin ½·mean((Xw − y)²) + ½λ‖w‖² = (XᵀX + nλI)⁻¹ Xᵀy.
var a = x.T.matmul(x) + n * lambda.detach() * eye(d, dtype: float64);
var w = linalg.solve(a, x.T.matmul(y)).requires_grad_(true);

Tensor Inner(Tensor w) => 0.5 * (x.matmul(w) - y).pow(2).mean() + 0.5 * lambda * w.pow(2).sum();
Tensor Outer(Tensor w) => (xv.matmul(w) - yv).pow(2).mean();

// H, column by column from Hessian-vector products; then dF/dλ = −(∂²_{λw} g)ᵀ H⁻¹ ∇_w F.
var gradW = Gradients.Of(Inner(w), "inner objective", new[] { w }, new[] { "w" }, createGraph: true);
var columns = Enumerable.Range(0, d).Select(i =>
    Gradients.VectorJacobianProduct(gradW, "inner gradient", new[] { eye(d, dtype: float64)[i] }, new[] { w }, new[] { "w" })[0]);
var hessian = stack(columns.ToArray(), 1);
var v = Gradients.Of(Outer(w), "outer objective", new[] { w }, new[] { "w" })[0];
var q = linalg.solve(hessian, v);
var mixed = Gradients.VectorJacobianProduct(gradW, "inner gradient", new[] { q }, new[] { lambda }, new[] { "lambda" })[0];
var hypergradient = -mixed.item<double>();

var wStar = w.detach();
var gradF = 2.0 / n * xv.T.matmul(xv.matmul(wStar) - yv);
var closedForm = -n * gradF.dot(linalg.solve(a, wStar)).item<double>();

Console.WriteLine($"dF/dλ by Hessian-vector products: {hypergradient:F10}");
Console.WriteLine($"dF/dλ closed form:                {closedForm:F10}");
Console.WriteLine($"relative difference:              {Math.Abs(hypergradient - closedForm) / Math.Abs(closedForm):E2}");
return Math.Abs(hypergradient - closedForm) <= 1e-8 * Math.Abs(closedForm) ? 0 : 1;
