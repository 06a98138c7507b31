// RUN: hexmoe-opt %s -split-input-file -verify-diagnostics

func.func @grid(%q: tensor<300x200xf8E4M3FN>, %s: tensor<2x2xf32>) {
  // expected-error @+1 {{'scale' must be [3x2] (ceil of the last two dims over block [128, 128]), got 'tensor<2x2xf32>'}}
  %w = moe.dequant %q, %s block [128, 128] : (tensor<300x200xf8E4M3FN>, tensor<2x2xf32>) -> tensor<300x200xf32>
  return
}

// -----

func.func @experts(%q: tensor<4x256x128xf8E4M3FN>, %s: tensor<2x2x1xf32>) {
  // expected-error @+1 {{'scale' must be [4x2x1]}}
  %w = moe.dequant %q, %s block [128, 128] : (tensor<4x256x128xf8E4M3FN>, tensor<2x2x1xf32>) -> tensor<4x256x128xf32>
  return
}

// -----

func.func @block(%q: tensor<256x128xf8E4M3FN>, %s: tensor<2x1xf32>) {
  // expected-error @+1 {{'block' must be two positive sizes [rows, cols], got 3 values}}
  %w = moe.dequant %q, %s block [128, 128, 1] : (tensor<256x128xf8E4M3FN>, tensor<2x1xf32>) -> tensor<256x128xf32>
  return
}

// -----

func.func @zero_block(%q: tensor<256x128xf8E4M3FN>, %s: tensor<2x1xf32>) {
  // expected-error @+1 {{'block' must be two positive sizes [rows, cols], got 2 values}}
  %w = moe.dequant %q, %s block [0, 128] : (tensor<256x128xf8E4M3FN>, tensor<2x1xf32>) -> tensor<256x128xf32>
  return
}

// -----

func.func @rank(%q: tensor<256xf8E4M3FN>, %s: tensor<2xf32>) {
  // expected-error @+1 {{'quantized' must be a static tensor of rank 2 or more, got 'tensor<256xf8E4M3FN>'}}
  %w = moe.dequant %q, %s block [128, 128] : (tensor<256xf8E4M3FN>, tensor<2xf32>) -> tensor<256xf32>
  return
}

// -----

func.func @out(%q: tensor<256x128xf8E4M3FN>, %s: tensor<2x1xf32>) {
  // expected-error @+1 {{'out' must have the shape of 'quantized'}}
  %w = moe.dequant %q, %s block [128, 128] : (tensor<256x128xf8E4M3FN>, tensor<2x1xf32>) -> tensor<128x256xf32>
  return
}

// -----

func.func @storage(%q: tensor<256x128xbf16>, %s: tensor<2x1xf32>) {
  // expected-error @+1 {{operand #0 must be}}
  %w = moe.dequant %q, %s block [128, 128] : (tensor<256x128xbf16>, tensor<2x1xf32>) -> tensor<256x128xf32>
  return
}
