# The demo's schedule cut to 150 iterations: the ablation table `depth`
# (three rows of depth-bin students, two with a teacher and a critic) took
# 58 minutes on 300 iterations on the idle 2-core machine; with the faster
# bin loss its runs, two side by side, take about 150 s (student) and 290 s
# (+PA+HO) on 300 iterations (+Unl about 400, estimated), so 150 keeps its
# five seeds and the teacher within 30 minutes (chosen from those times
# before any of its seeds ran).
_base_ = ['./demo_300.py']
train_cfg = dict(max_iters=150, val_interval=150)
