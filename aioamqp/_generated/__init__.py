# generated from spec/amqp0-9-1.xml by codegen; do not edit
"""Protocol layer generated from the AMQP 0-9-1 spec: methods, content properties, constants."""
