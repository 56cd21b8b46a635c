#!/usr/bin/env python3
"""PyTorch CPU peer for `pincer bench train --peer`: the same reference network,
batch, loss and optimiser as src/tf/qnet.ts's REFERENCE_QNET, timed the same way
(median over iterations after warm-up). Prints one JSON object on stdout.

Network: 64x64x3 image -> conv 5x5/2, 3x3/2, 3x3/2 (32 filters, ReLU) -> 2048
features; gripper state (3); action (6) -> dense 64 ReLU; concat(features,
state, action) -> dense 64 ReLU -> dense 1 -> sigmoid. 156,865 parameters.
Huber loss, Adam 1e-3, batch 32.
Padding is symmetric (2 / 1 / 1), which gives the same shapes and FLOPs as
TensorFlow's 'same' padding at these sizes.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


STATE_DIM = 3  # aperture, closed, height
ACTION_DIM = 6  # dx, dy, dz, dyaw, close, terminate


class Reference(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, 32, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
        )
        self.action = nn.Sequential(nn.Linear(ACTION_DIM, 64), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(2048 + STATE_DIM + 64, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid())

    def forward(self, image, state, action):
        return self.head(torch.cat([self.encoder(image), state, self.action(action)], dim=1))


def median_ms(fn, warmup, iters):
    """Median wall and process-CPU milliseconds per call (CPU time is steadier on a shared machine)."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(iters):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = PyTorch's default)")
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    net = Reference()
    params = sum(p.numel() for p in net.parameters())
    assert params == 156865, params
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.HuberLoss()
    batch = 32
    image = torch.rand(batch, 3, 64, 64)
    state = torch.rand(batch, STATE_DIM)
    action = torch.rand(batch, ACTION_DIM) * 2 - 1
    target = torch.rand(batch, 1)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(image, state, action), target)
        loss.backward()
        opt.step()
        return loss.item()

    def forward():
        with torch.no_grad():
            return net(image, state, action).sum().item()

    one_image = image[:1]
    one_state = state[:1].expand(64, -1)
    actions = torch.rand(64, ACTION_DIM) * 2 - 1

    def cem_eval():
        # Encoder once, head on 64 action rows.
        with torch.no_grad():
            features = net.encoder(one_image).expand(64, -1)
            return net.head(torch.cat([features, one_state, net.action(actions)], dim=1)).sum().item()

    train_ms, train_cpu_ms = median_ms(train_step, args.warmup, args.iters)
    forward_ms, _ = median_ms(forward, args.warmup, args.iters)
    cem_ms, _ = median_ms(cem_eval, args.warmup, args.iters)
    result = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "params": params,
        "batch": batch,
        "iters": args.iters,
        "train_step_ms": train_ms,
        "train_step_cpu_ms": train_cpu_ms,
        "forward_ms": forward_ms,
        "cem_eval_ms": cem_ms,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
