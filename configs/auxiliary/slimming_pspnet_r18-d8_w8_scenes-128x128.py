# Network slimming's sparsity training (thesis Table 6.6) of the demo's
# student without auxiliary heads: the L1 term on the BN scales inside its
# blocks (mmskd's SlimmingEncoderDecoder), whose smallest channels
# tools/model_converters/slim_resnet.py removes before the fine-tuning with
# or without the auxiliary module.
_base_ = ['./pspnet_r18-d8_w8_aux-conv1x1_scenes-128x128.py']
model = dict(
    type='SlimmingEncoderDecoder',
    sparsity_weight=1e-4,
    auxiliary_head=None)
