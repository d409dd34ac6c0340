# Thesis Fig. 6.4 "ATboth": Joint with a basic auxiliary module for each
# task (Joint's setting, App. A.2.2); removed at test time
# (convert_to_student.py --drop-auxiliary-heads).
_base_ = ['./mtl_m-v2-d8_joint_4xb3-30k_nyudv2-385x385.py']
model = dict(
    auxiliary_heads=dict(
        seg=_base_.auxiliary_module, depth=_base_.auxiliary_module))
