// The backward graph: one Node per recorded op call (or per leaf, for
// AccumulateGrad), pointing at the nodes that produced its inputs. Nodes
// own what they point to, so a graph lives exactly as long as some tensor
// (or a retained grad_fn) reaches it, and is freed with the last one.
#ifndef TENSORD_AUTOGRAD_GRAPH_H_
#define TENSORD_AUTOGRAD_GRAPH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autograd/attrs.h"
#include "autograd/op_registry.h"
#include "autograd/variable.h"
#include "device/tensor.h"

namespace tensord::autograd {

// Where a gradient flows next: input `input_nr` of `node`.
struct Edge {
  std::shared_ptr<Node> node;
  int input_nr = 0;
};

// A tensor a backward rule reads, with the version it had when saved: an
// in-place change since makes backward fail instead of computing a wrong
// gradient.
struct SavedTensor {
  device::Tensor tensor;
  uint64_t version = 0;
  int output_nr = -1;  // >= 0 when it is one of the node's own outputs
  int input_nr = -1;   // >= 0 when it is an input
};

struct Node {
  std::string name;                        // "AddBackward0", "AccumulateGrad"
  const Derivative* derivative = nullptr;  // null for AccumulateGrad
  Attrs attrs;
  std::vector<device::Shape> input_shapes;
  std::vector<device::DType> input_dtypes;
  std::vector<Edge> next;  // one per input; node null where no gradient flows
  std::vector<SavedTensor> saved;
  bool released = false;  // saved tensors freed by a backward without retain_graph
  int num_outputs = 1;
  std::vector<device::Shape> output_shapes;
  std::vector<device::DType> output_dtypes;
  // Non-leaf outputs that keep their gradient (retain_grad), by output.
  std::vector<std::weak_ptr<AutogradMeta>> retained;
  // AccumulateGrad: the leaf whose .grad receives the gradient.
  std::weak_ptr<AutogradMeta> leaf;
  uint64_t sequence = 0;  // creation order: later nodes run first
};

}  // namespace tensord::autograd

#endif  // TENSORD_AUTOGRAD_GRAPH_H_
