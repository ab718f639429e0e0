# Golden for tests/nn/test_parity.c: the seed CNN (../shared/PROTOCOL.md) in
# PyTorch with fixed weights, on the first 32 real MNIST training images.
#
# Regenerate from the repository root (after scripts/fetch-mnist.sh data/mnist):
#   /usr/bin/python3 tests/nn/golden/gen_seed_cnn.py data/mnist tests/nn/golden/seed_cnn.bin
#
# File format (little-endian):
#   8 bytes  magic "OLNNGLD1"
#   int32    n_params, batch, in_c, in_h, in_w, classes
#   float32  params[n_params]          state_dict order, concatenated
#   float32  x[batch][in_c][in_h][in_w] normalised (v/255 - 0.5) / 0.5
#   int32    labels[batch]
#   float32  out[batch][classes]       model output (after the final softmax)
#   float32  loss_seed, loss_logits    batch means
#   float32  grad_seed[n_params]       CrossEntropyLoss(softmax output) — the seed run's loss
#   float32  grad_logits[n_params]     CrossEntropyLoss(logits before the final softmax)
import struct, sys
import numpy as np
import torch
import torch.nn as nn

mnist_dir, out_path = sys.argv[1], sys.argv[2]
torch.manual_seed(20250228)
torch.set_num_threads(1)


def idx(path):
    b = open(path, 'rb').read()
    nd = struct.unpack('>I', b[:4])[0] & 0xff
    dims = struct.unpack('>' + 'I' * nd, b[4:4 + 4 * nd])
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)


B = 32
images = idx(mnist_dir + '/train-images-idx3-ubyte')[:B]
labels = idx(mnist_dir + '/train-labels-idx1-ubyte')[:B].astype(np.int64)
x = ((torch.tensor(images, dtype=torch.float32) / 255 - 0.5) / 0.5).unsqueeze(1)
y = torch.tensor(labels)

body = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
    nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
    nn.Linear(1024, 64), nn.Sigmoid(), nn.Linear(64, 10))
params = list(body.parameters())
assert sum(p.numel() for p in params) == 121994
ce = nn.CrossEntropyLoss()


def grads_of(loss):
    for p in params:
        p.grad = None
    loss.backward()
    return torch.cat([p.grad.reshape(-1) for p in params])


logits = body(x)
out = torch.softmax(logits, dim=1)
loss_seed = ce(out, y)             # softmax output fed to CrossEntropyLoss, as the seed run did
g_seed = grads_of(loss_seed)
logits = body(x)
loss_logits = ce(logits, y)        # ordinary cross-entropy on the logits
g_logits = grads_of(loss_logits)

flat = torch.cat([p.detach().reshape(-1) for p in params])
with open(out_path, 'wb') as f:
    f.write(b'OLNNGLD1')
    f.write(struct.pack('<6i', flat.numel(), B, 1, 28, 28, 10))
    f.write(flat.numpy().astype('<f4').tobytes())
    f.write(x.numpy().astype('<f4').tobytes())
    f.write(labels.astype('<i4').tobytes())
    f.write(out.detach().numpy().astype('<f4').tobytes())
    f.write(struct.pack('<2f', loss_seed.item(), loss_logits.item()))
    f.write(g_seed.numpy().astype('<f4').tobytes())
    f.write(g_logits.numpy().astype('<f4').tobytes())
print(f'{out_path}: {flat.numel()} params, batch {B}, loss_seed {loss_seed.item():.6f}, '
      f'loss_logits {loss_logits.item():.6f}')
