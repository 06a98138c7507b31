// RUN: hexmoe-opt %s -split-input-file -verify-diagnostics

func.func private @k()
moe.launch_plan @p dims ["T"] {
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>]
  // expected-error @+1 {{binds buffer 3, the plan has 1}}
  moe.plan.dispatch @k([0, 3]) over <d0>
}

// -----

moe.launch_plan @p dims ["T"] {
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>]
  // expected-error @+1 {{launches @missing, which the module does not define}}
  moe.plan.dispatch @missing([0]) over <d0>
}

// -----

// expected-error @+1 {{argument 1 is not declared (there are 2)}}
moe.launch_plan @p dims ["T"] {
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>]
  moe.plan.buffer argument 2 "y" : f32 [#moe.extent<d0>]
}

// -----

moe.launch_plan @p dims [] {
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<4>]
  moe.plan.buffer result 0 "y" : f32 [#moe.extent<4>]
  // expected-error @+1 {{result 0 is declared twice}}
  moe.plan.buffer result 0 "z" : f32 [#moe.extent<4>]
}

// -----

// expected-error @+1 {{dynamic size 'U' is in no argument's shape, so a call could never know it}}
moe.launch_plan @p dims ["T", "U"] {
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>]
  moe.plan.buffer result 0 "y" : f32 [#moe.extent<d1>]
}

// -----

moe.launch_plan @p dims ["T"] {
  // expected-error @+1 {{extent #moe.extent<d1> names dynamic size 1, the plan has 1}}
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>, #moe.extent<d1>]
}

// -----

moe.launch_plan @p dims [] {
  // expected-error @+1 {{element type must be f32, bf16, f16, i32, i64, f8E4M3FN or i8, got 'f64'}}
  moe.plan.buffer argument 0 "x" : f64 [#moe.extent<4>]
}

// -----

moe.launch_plan @p dims [] {
  // expected-error @+1 {{a transient's index must be 0, got 3}}
  moe.plan.buffer transient 3 "t" : f32 [#moe.extent<4>]
}

// -----

moe.launch_plan @p dims ["T"] {
  // expected-error @+1 {{a dynamic extent's factor must be >= 1, got 0}}
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0 * 0>]
}

// -----

moe.launch_plan @p dims [] {
  // expected-error @+1 {{expected a static size or dN (a dynamic size), optionally `* factor`}}
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<T>]
}

// -----

moe.launch_plan @p dims [] {
  // expected-error @+1 {{is not allowed in a launch plan (only moe.plan.buffer and moe.plan.dispatch)}}
  func.func private @inner()
}

// -----

moe.launch_plan @dynamic_weight dims ["T"] {
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>]
  // expected-error @+1 {{a weight's extents must be static, got #moe.extent<d0>}}
  moe.plan.buffer weight 0 "w" : f32 [#moe.extent<d0>]
}

// -----

// expected-error @+1 {{weight 0 is not declared (there are 1)}}
moe.launch_plan @weight_gap dims ["T"] {
  moe.plan.buffer argument 0 "x" : f32 [#moe.extent<d0>]
  moe.plan.buffer weight 2 "w" : f32 [#moe.extent<4>]
}
