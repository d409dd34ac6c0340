# The demo's schedule cut to 200 iterations: the ablation table `graphs` has
# six rows, and at 300 iterations its five seeds would take about 42 minutes
# on 2 cores (chosen before any of its seeds ran, to keep it within 30).
_base_ = ['./demo_300.py']
train_cfg = dict(max_iters=200, val_interval=200)
