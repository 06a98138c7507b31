//===- MoEPlan.cpp - launch-plan attributes, ops and verifiers ------------===//
//
// The launch plan is the contract the runtime executes, so its verifier
// checks everything the artifact verifier will check again on load: numbering,
// extents, and bindings.
//
//===----------------------------------------------------------------------===//
#include "dialects/moe/IR/MoEOps.h"

#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace hexmoe::moe;

//===----------------------------------------------------------------------===//
// #moe.extent
//===----------------------------------------------------------------------===//

Attribute ExtentAttr::parse(AsmParser &parser, Type) {
  int64_t size = 0, factor = 1;
  if (parser.parseLess()) return {};
  OptionalParseResult isStatic = parser.parseOptionalInteger(size);
  if (isStatic.has_value()) {
    if (failed(*isStatic) || parser.parseGreater()) return {};
    return parser.getChecked<ExtentAttr>(parser.getContext(), size, int64_t(-1), int64_t(1));
  }
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  int64_t dim = 0;
  if (parser.parseKeyword(&keyword) || !keyword.consume_front("d") || keyword.getAsInteger(10, dim)) {
    parser.emitError(loc, "expected a static size or dN (a dynamic size), optionally `* factor`");
    return {};
  }
  if (succeeded(parser.parseOptionalStar()) && parser.parseInteger(factor)) return {};
  if (parser.parseGreater()) return {};
  return parser.getChecked<ExtentAttr>(parser.getContext(), int64_t(0), dim, factor);
}

void ExtentAttr::print(AsmPrinter &printer) const {
  printer << "<";
  if (isStatic()) {
    printer << getStaticSize();
  } else {
    printer << "d" << getDim();
    if (getFactor() != 1) printer << " * " << getFactor();
  }
  printer << ">";
}

LogicalResult ExtentAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t staticSize, int64_t dim,
                                 int64_t factor) {
  if (dim < 0 && staticSize < 0) return emitError() << "a static extent must be >= 0, got " << staticSize;
  if (dim >= 0 && factor <= 0) return emitError() << "a dynamic extent's factor must be >= 1, got " << factor;
  return success();
}

ExtentAttr ExtentAttr::scaled(int64_t k) const {
  if (isStatic()) return getStatic(getContext(), getStaticSize() * k);
  return getDynamic(getContext(), getDim(), getFactor() * k);
}

//===----------------------------------------------------------------------===//
// moe.launch_plan
//===----------------------------------------------------------------------===//

void LaunchPlanOp::build(OpBuilder &builder, OperationState &state, StringRef name, ArrayRef<std::string> dims) {
  SmallVector<StringRef> refs(dims.begin(), dims.end());
  state.addAttribute(getSymNameAttrName(state.name), builder.getStringAttr(name));
  state.addAttribute(getDimsAttrName(state.name), builder.getStrArrayAttr(refs));
  state.addRegion()->emplaceBlock();
}

/// Checks that the positions of one kind of buffer run 0..n-1.
static LogicalResult checkNumbering(Operation *plan, ArrayRef<PlanBufferOp> buffers, BufferKind kind) {
  llvm::DenseSet<int64_t> seen;
  for (PlanBufferOp b : buffers) {
    if (b.getKind() != kind) continue;
    if (!seen.insert(b.getIndex()).second)
      return b.emitOpError() << stringifyBufferKind(kind) << " " << b.getIndex() << " is declared twice";
  }
  for (int64_t i = 0; i < static_cast<int64_t>(seen.size()); ++i)
    if (!seen.contains(i))
      return plan->emitOpError() << stringifyBufferKind(kind) << " " << i << " is not declared (there are "
                                 << seen.size() << ")";
  return success();
}

LogicalResult LaunchPlanOp::verify() {
  SmallVector<PlanBufferOp> buffers;
  for (Operation &op : getBody().front()) {
    if (auto b = dyn_cast<PlanBufferOp>(op)) {
      buffers.push_back(b);
      continue;
    }
    if (!isa<PlanDispatchOp>(op))
      return op.emitOpError("is not allowed in a launch plan (only moe.plan.buffer and moe.plan.dispatch)");
  }
  if (failed(checkNumbering(*this, buffers, BufferKind::argument)) ||
      failed(checkNumbering(*this, buffers, BufferKind::result)) ||
      failed(checkNumbering(*this, buffers, BufferKind::weight)))
    return failure();

  const int64_t numDims = static_cast<int64_t>(getDims().size());
  auto checkExtent = [&](Operation *op, ExtentAttr e) -> LogicalResult {
    if (!e.isStatic() && e.getDim() >= numDims)
      return op->emitOpError() << "extent " << e << " names dynamic size " << e.getDim() << ", the plan has "
                               << numDims;
    return success();
  };
  SmallVector<bool> carried(numDims, false);
  for (PlanBufferOp b : buffers)
    for (ExtentAttr e : b.getShape().getAsRange<ExtentAttr>()) {
      if (failed(checkExtent(b, e))) return failure();
      if (!e.isStatic() && b.getKind() == BufferKind::argument) carried[e.getDim()] = true;
    }
  for (int64_t d = 0; d < numDims; ++d)
    if (!carried[d])
      return emitOpError() << "dynamic size '" << cast<StringAttr>(getDims()[d]).getValue()
                           << "' is in no argument's shape, so a call could never know it";

  for (auto d : getBody().front().getOps<PlanDispatchOp>()) {
    if (failed(checkExtent(d, d.getWorkload()))) return failure();
    for (int32_t b : d.getBindings())
      if (b < 0 || b >= static_cast<int32_t>(buffers.size()))
        return d.emitOpError() << "binds buffer " << b << ", the plan has " << buffers.size();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// moe.plan.buffer, moe.plan.dispatch
//===----------------------------------------------------------------------===//

LogicalResult PlanBufferOp::verify() {
  Type t = getElementType();
  if (!t.isF32() && !t.isBF16() && !t.isF16() && !t.isInteger(32) && !t.isInteger(64) &&
      !isa<Float8E4M3FNType>(t) && !t.isInteger(8))
    return emitOpError() << "element type must be f32, bf16, f16, i32, i64, f8E4M3FN or i8, got " << t;
  if (getIndex() < 0) return emitOpError() << "index must be >= 0, got " << getIndex();
  if (getKind() == BufferKind::transient && getIndex() != 0)
    return emitOpError() << "a transient's index must be 0, got " << getIndex();
  if (getKind() == BufferKind::weight) {
    if (getName().empty()) return emitOpError("a weight needs the checkpoint tensor's name");
    for (ExtentAttr e : getShape().getAsRange<ExtentAttr>())
      if (!e.isStatic()) return emitOpError() << "a weight's extents must be static, got " << e;
  }
  return success();
}

LogicalResult PlanDispatchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  Operation *kernel = symbolTable.lookupNearestSymbolFrom((*this)->getParentOp(), getKernelAttr());
  if (!kernel) return emitOpError() << "launches " << getKernelAttr() << ", which the module does not define";
  return success();
}
