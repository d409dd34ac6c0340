# The demo's schedule cut to 200 iterations, for the ablation tables on the
# demo's scenes: at 300, a table's five seeds would take over the 30 minutes
# a table may take on 2 cores (chosen before the seeds of each setting ran).
_base_ = ['./demo_300.py']
train_cfg = dict(max_iters=200, val_interval=200)
