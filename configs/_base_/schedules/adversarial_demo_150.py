# adversarial_demo_300.py cut to 150 iterations (as demo_150.py): the
# student's and the discriminator's poly decays both end at max_iters.
_base_ = ['./adversarial_demo_300.py']
train_cfg = dict(max_iters=150, val_interval=150)
