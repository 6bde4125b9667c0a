// PIL's bilinear resize, bit for bit: what scipy.misc.imresize(array, (h, w)) did in the Udacity
// loader (it calls PIL's Image.resize(size, BILINEAR)). That is Pillow's ImagingResample
// (libImaging/Resample.c, Pillow >= 4.3): a separable triangle filter whose support grows with the
// shrink factor (antialiased when shrinking), the horizontal pass first into an 8-bit intermediate,
// coefficients in 22-bit fixed point, each output rounded half up and clipped to 0..255.
// A 0/1 one-hot mask resized this way stays 0/1 (boundary pixels may get two ones or none).
#pragma once

#include <cstdint>
#include <vector>

namespace segsweep {

// src: height*width*channels bytes, interleaved. Returns out_height*out_width*channels bytes.
// Same size in and out returns a copy, as PIL does. Throws segsweep::Error on sizes < 1.
std::vector<uint8_t> pil_resize_bilinear(const uint8_t* src, int width, int height, int channels,
                                         int out_width, int out_height);

}  // namespace segsweep
