# adversarial_demo_300.py cut to 200 iterations (as demo_200.py): the
# student's and the discriminator's poly decays both end at max_iters.
_base_ = ['./adversarial_demo_300.py']
train_cfg = dict(max_iters=200, val_interval=200)
