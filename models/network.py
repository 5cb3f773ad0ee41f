"""The cell CNN (after the paper's Figure 2c), in PyTorch: imported by training and export only, never by the app.

Input: the raw snippet, (N, 1, 32, 32) background-subtracted B_NV in tesla. The normalisation is part of the
graph, so the exported ONNX model takes tesla and gives physical units:

    s      = max(snippet) - min(snippet) + 1e-12 T         (peak-to-peak amplitude)
    trunk  <- snippet / s, plus two coordinate channels  (CoordConv: helps the position heads)
    heads  <- pooled features and log10(s / 1 uT)

Trunk: strided stem conv -> conv -> residual blocks (one dilated) -> strided conv -> dilated residual block ->
self-attention over the 8 x 8 feature map (with a learned position embedding) -> average + max pooling ->
shared dense layer -> one small head per output. The heads give *standardised* outputs
(t = (value - mean) / std, see ``OUTPUT_STANDARDISATION``); ``physical_outputs`` turns them into units:

    x_px, y_px          = t * std + mean                             (pixels from snippet index 16)
    z_m, diameter_m     = (t * std + mean) * 1e-6
    log10_iron_mass_kg  = t * std + mean + log10(s / 1 uT)           (mass relative to the amplitude)
    background_t        = (t * std + mean) * s                       (constant offset relative to s)
"""

import math

import torch
from torch import nn

SNIPPET_SIZE = 32
OUTPUT_NAMES = ("x_px", "y_px", "z_m", "diameter_m", "log10_iron_mass_kg", "background_t")
STANDARDISED_NAMES = ("x_std", "y_std", "z_std", "diameter_std", "log10_mass_rel_std", "background_rel_std")
AMPLITUDE_FLOOR_T = 1e-12
MICROTESLA = 1e-6

# (mean, std) of each standardised target: x, y in px; z, d in um; log10(mass kg) - log10(s / 1 uT);
# background C / s. Fixed numbers (from the training recipe), so the card can state them.
OUTPUT_STANDARDISATION = {
    "x_px": (0.0, 1.75),
    "y_px": (0.0, 1.75),
    "z_m": (20.0, 9.0),
    "diameter_m": (15.0, 5.5),
    "log10_iron_mass_kg": (-15.4, 0.6),
    "background_t": (0.0, 0.05),
}


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the identity (skip connection), then ReLU; ``dilation`` widens the view."""

    def __init__(self, channels, dilation=1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
        )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(x + self.body(x))


class SelfAttention2d(nn.Module):
    """Single-layer multi-head self-attention over the H x W positions, pre-norm, with a residual."""

    def __init__(self, channels, n_positions, n_heads=4):
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = channels // n_heads
        self.norm = nn.LayerNorm(channels)
        self.position = nn.Parameter(torch.zeros(1, n_positions, channels))
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, channels)
        nn.init.normal_(self.position, std=0.02)

    def forward(self, x):
        n, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2) + self.position  # (N, HW, C)
        q, k, v = self.qkv(self.norm(tokens)).chunk(3, dim=-1)
        shape = (n, h * w, self.n_heads, self.head_dim)
        q, k, v = (t.reshape(shape).transpose(1, 2) for t in (q, k, v))
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.head_dim), dim=-1)
        attended = (weights @ v).transpose(1, 2).reshape(n, h * w, c)
        tokens = tokens + self.proj(attended)
        return tokens.transpose(1, 2).reshape(n, c, h, w)


def _conv_bn_relu(c_in, c_out, stride=1):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


CENTRE_HALF_WIDTH = 6
"""The centre view's window: indices 16 - 6 to 16 + 6 (12 x 12 pixels around the reference pixel), where the
cell (within 3 px of the reference) dominates and a neighbour (>= 12 px away) shows only its tail."""
CENTRE_VIEW_CLIP = 2.0


class CellNet(nn.Module):
    """Snippet (N, 1, 32, 32) in tesla -> standardised outputs (N, 6) in the order of ``OUTPUT_NAMES``.

    ``centre_view``: a fourth input channel, the snippet scaled by the peak-to-peak s_c of its central 12 x 12
    pixels and clipped to +-2 (the cell at unit scale, a strong neighbour's field cut off), and log10(s_c / s)
    as one more input of the heads. Off for networks trained before it existed."""

    def __init__(self, widths=(24, 32, 48), hidden=96, centre_view=False):
        super().__init__()
        c1, c2, c3 = widths
        self.widths = tuple(widths)
        self.hidden = hidden
        self.centre_view = bool(centre_view)
        n_in = 4 if self.centre_view else 3
        grid = (torch.arange(SNIPPET_SIZE, dtype=torch.float32) - SNIPPET_SIZE / 2) / (SNIPPET_SIZE / 2)
        self.register_buffer("coord_x", grid.view(1, 1, 1, -1).expand(1, 1, SNIPPET_SIZE, SNIPPET_SIZE).clone())
        self.register_buffer("coord_y", grid.view(1, 1, -1, 1).expand(1, 1, SNIPPET_SIZE, SNIPPET_SIZE).clone())
        self.trunk = nn.Sequential(
            # 4 x 4 stride-2 stem straight to 16 x 16: full-resolution layers cost most on CPU and the fields
            # are smooth on the pixel scale (z >= 5 um is 4 px)
            nn.Conv2d(n_in, c1, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c1),
            nn.ReLU(inplace=True),
            _conv_bn_relu(c1, c2),  # 16 x 16
            ResidualBlock(c2, dilation=1),
            ResidualBlock(c2, dilation=2),
            _conv_bn_relu(c2, c3, stride=2),  # 8 x 8
            ResidualBlock(c3, dilation=2),
        )
        self.attention = SelfAttention2d(c3, n_positions=(SNIPPET_SIZE // 4) ** 2)
        self.shared = nn.Sequential(nn.Linear(2 * c3 + 1 + self.centre_view, hidden), nn.ReLU(inplace=True))
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(hidden, hidden // 2), nn.ReLU(inplace=True), nn.Linear(hidden // 2, 1))
            for _ in OUTPUT_NAMES
        )

    @staticmethod
    def amplitude_t(snippet_t):
        """Peak-to-peak amplitude s (T) of each snippet, (N, 1, 1, 1)."""
        return snippet_t.amax(dim=(2, 3), keepdim=True) - snippet_t.amin(dim=(2, 3), keepdim=True) + AMPLITUDE_FLOOR_T

    def forward(self, snippet_t):
        s = self.amplitude_t(snippet_t)
        n = snippet_t.shape[0]
        channels = [snippet_t / s, self.coord_x.expand(n, -1, -1, -1), self.coord_y.expand(n, -1, -1, -1)]
        extra = []
        if self.centre_view:
            lo, hi = SNIPPET_SIZE // 2 - CENTRE_HALF_WIDTH, SNIPPET_SIZE // 2 + CENTRE_HALF_WIDTH
            centre = snippet_t[:, :, lo:hi, lo:hi]
            s_c = self.amplitude_t(centre)
            offset = centre.mean(dim=(2, 3), keepdim=True)
            channels.append(torch.clamp((snippet_t - offset) / s_c, -CENTRE_VIEW_CLIP, CENTRE_VIEW_CLIP))
            extra.append(torch.log10(s_c.view(n, 1) / s.view(n, 1)))
        f = self.attention(self.trunk(torch.cat(channels, dim=1)))
        log_s = torch.log10(s.view(n, 1) / MICROTESLA)
        pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3)), log_s, *extra], dim=1)
        h = self.shared(pooled)
        return torch.cat([head(h) for head in self.heads], dim=1)


def network_of(train_args):
    """The CellNet a training run's arguments (a checkpoint's ``args``) describe."""
    return CellNet(tuple(int(w) for w in train_args["widths"]), int(train_args["hidden"]),
                   centre_view=bool(train_args.get("centre_view", False)))


def physical_outputs(standardised, snippet_t):
    """Standardised outputs (N, 6) -> tuple of (N,) tensors in physical units, order of ``OUTPUT_NAMES``."""
    s = CellNet.amplitude_t(snippet_t).view(-1)
    values = []
    for k, name in enumerate(OUTPUT_NAMES):
        mean, std = OUTPUT_STANDARDISATION[name]
        v = standardised[:, k] * std + mean
        if name in ("z_m", "diameter_m"):
            v = v * 1e-6
        elif name == "log10_iron_mass_kg":
            v = v + torch.log10(s / MICROTESLA)
        elif name == "background_t":
            v = v * s
        values.append(v)
    return tuple(values)


class ExportedCellNet(nn.Module):
    """What goes into the ONNX file: snippet (N, 1, 32, 32) T -> 6 physical outputs (N,) + ``standardised`` (N, 6)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, snippet_t):
        standardised = self.net(snippet_t)
        return (*physical_outputs(standardised, snippet_t), standardised)


def standardise_targets(truth, amplitude_t):
    """Truth dict (SI arrays) and snippet amplitudes s (T) -> standardised targets (N, 6) as numpy float32."""
    import numpy as np

    cols = []
    for name in OUTPUT_NAMES:
        mean, std = OUTPUT_STANDARDISATION[name]
        if name in ("x_px", "y_px"):
            v = truth[name]
        elif name in ("z_m", "diameter_m"):
            v = truth[name] * 1e6
        elif name == "log10_iron_mass_kg":
            v = np.log10(truth["iron_mass_kg"]) - np.log10(amplitude_t / MICROTESLA)
        else:
            v = truth["background_t"] / amplitude_t
        cols.append((v - mean) / std)
    return np.stack(cols, axis=1).astype(np.float32)
