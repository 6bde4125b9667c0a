// The scorer's in-process path for torch tensors: the trainer's softmax output [n,3,h,w] (float,
// any device, any memory format) is scored against the masks of an evaluation ImageSet, or written
// as <stem>_prediction.png files. Uses the same bytes as the PNG path (prediction_byte), so
// `segsweep score` on the written files gives exactly the same EvalSetScore.
#pragma once

#include <filesystem>

#include <ATen/core/Tensor.h>

#include "worker/data/image_set.h"
#include "worker/data/scorer.h"

namespace segsweep {

// Adds images first_index .. first_index+n-1 of `truth` to `scorer`. probabilities: [n,3,h,w]
// with h = w = truth.size. Throws segsweep::Error on a shape mismatch or an index past the set.
void add_probability_batch(EvalSetScorer& scorer, const ImageSet& truth, int first_index,
                           const at::Tensor& probabilities);

// Writes out_dir/<stem>_prediction.png for images first_index .. first_index+n-1 of `set`.
void write_prediction_batch(const std::filesystem::path& out_dir, const ImageSet& set, int first_index,
                            const at::Tensor& probabilities);

}  // namespace segsweep
