#!/usr/bin/python3
"""The PyTorch peer of `segsweep bench train`: the Follow-Me FCN in Debian's python3-torch, eager.

Same layer shapes as segsweep's FcnImpl (worker/model/fcn.cpp): separable blocks (3x3 depthwise
with TF 'same' padding - bottom/right only for stride 2 -, 1x1 pointwise with bias, ReLU,
BatchNorm eps 1e-3 momentum 0.01), the middle conv, decoders with the TF1 x2 upsample
(align_corners=False legacy mapping) and concat, the output conv, softmax, Keras categorical
cross-entropy and Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8). Keras initialisation is not
reproduced (it does not change speed). Runs full training steps (forward, backward, Adam) on
synthetic data in the default (NCHW) layout and/or channels_last, then eval (inference mode)
forward passes, and prints one JSON object per layout.

Run with /usr/bin/python3 (Debian's torch is importable only from it):
  bench/peers/pytorch_train_peer.py --image-size 160 --batch 64 --steps 3 --threads 2
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPSILON = 1e-3   # Keras
BN_MOMENTUM = 0.01  # torch convention for Keras' 0.99
KERAS_EPSILON = 1e-7  # probability clip of the loss


def tf_same_pad(size, kernel, stride):
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SeparableConvBn(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        self.depthwise = nn.Conv2d(cin, cin, 3, stride=stride, padding=1 if stride == 1 else 0,
                                   groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPSILON, momentum=BN_MOMENTUM)

    def forward(self, x):
        if self.stride != 1:
            top, bottom = tf_same_pad(x.shape[2], 3, self.stride)
            left, right = tf_same_pad(x.shape[3], 3, self.stride)
            x = F.pad(x, (left, right, top, bottom))
        return self.bn(F.relu(self.pointwise(self.depthwise(x))))


class ConvBn(nn.Module):
    def __init__(self, cin, cout, kernel):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPSILON, momentum=BN_MOMENTUM)

    def forward(self, x):
        return self.bn(F.relu(self.conv(x)))


def upsample_axis_x2(t, dim):
    n = t.shape[dim]
    nxt = torch.cat([t.narrow(dim, 1, n - 1), t.narrow(dim, n - 1, 1)], dim) if n > 1 else t
    return torch.stack([t, (t + nxt) * 0.5], dim + 1).flatten(dim, dim + 1)


def upsample_x2_tf1(x):
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        nhwc = x.permute(0, 2, 3, 1)
        return upsample_axis_x2(upsample_axis_x2(nhwc, 1), 2).permute(0, 3, 1, 2)
    return upsample_axis_x2(upsample_axis_x2(x, 2), 3)


class Fcn(nn.Module):
    def __init__(self, encoder_filters=(64, 128), conv1x1_filters=256, conv1x1_kernel=1,
                 decoder_filters=(128, 64), decoder_convs=2, output_kernel=1, classes=3):
        super().__init__()
        self.decoder_convs = decoder_convs
        skip_channels, channels = [], 3
        self.encoders = nn.ModuleList()
        for filters in encoder_filters:
            skip_channels.append(channels)
            self.encoders.append(SeparableConvBn(channels, filters, 2))
            channels = filters
        self.middle = ConvBn(channels, conv1x1_filters, conv1x1_kernel)
        channels = conv1x1_filters
        self.decoders = nn.ModuleList()
        for j, filters in enumerate(decoder_filters):
            skip = skip_channels[len(encoder_filters) - 1 - j]
            self.decoders.append(SeparableConvBn(channels + skip, filters, 1))
            if decoder_convs == 2:
                self.decoders.append(SeparableConvBn(filters, filters, 1))
            channels = filters
        self.output = nn.Conv2d(channels, classes, output_kernel, padding=output_kernel // 2)

    def forward(self, x):
        skips, h = [], x
        for encoder in self.encoders:
            skips.append(h)
            h = encoder(h)
        h = self.middle(h)
        depth = len(self.encoders)
        for j in range(depth):
            h = torch.cat([upsample_x2_tf1(h), skips[depth - 1 - j]], 1)
            for c in range(self.decoder_convs):
                h = self.decoders[j * self.decoder_convs + c](h)
        return torch.softmax(self.output(h), 1)


def keras_categorical_crossentropy(p, y):
    p = p / p.sum(1, keepdim=True)
    p = p.clamp(KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    return -(y * p.log()).sum(1).mean()


def measure(layout, args):
    torch.manual_seed(args.seed)
    model = Fcn()
    memory_format = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    size = args.image_size
    x = (torch.rand(args.batch, 3, size, size) * 2 - 1).contiguous(memory_format=memory_format)
    labels = torch.randint(0, 3, (args.batch, size, size))
    y = F.one_hot(labels, 3).permute(0, 3, 1, 2).float().contiguous(memory_format=memory_format)

    def step():
        optimizer.zero_grad()
        loss = keras_categorical_crossentropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    model.train()
    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    train_seconds = time.perf_counter() - start

    model.eval()
    with torch.inference_mode():
        model(x)
        start = time.perf_counter()
        for _ in range(args.eval_batches):
            model(x)
        eval_seconds = time.perf_counter() - start
    return {
        "contender": "pytorch-eager-" + ("channels_last" if layout == "channels_last" else "nchw"),
        "train_images_per_s": args.batch * args.steps / train_seconds,
        "eval_images_per_s": args.batch * args.eval_batches / eval_seconds,
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
        "steps": args.steps,
        "batch": args.batch,
        "image_size": size,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=160)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per layout")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--eval-batches", type=int, default=2, help="timed eval forward passes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--layout", choices=["nchw", "channels_last", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    layouts = ["nchw", "channels_last"] if args.layout == "both" else [args.layout]
    for layout in layouts:
        print(json.dumps(measure(layout, args)), flush=True)


if __name__ == "__main__":
    main()
